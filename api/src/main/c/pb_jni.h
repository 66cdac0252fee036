/*
 * Shared by every provider's C file: how a failed system call becomes a Java exception.
 * Header-only so that each provider stays one C file; static so that nothing leaks from the library.
 */
#ifndef PB_JNI_H
#define PB_JNI_H

#include <jni.h>
#include <stdio.h>

/* Throws io.processbarrier.ErrnoException(call, err). Returns so the caller can return at once. */
static void pb_throw_errno(JNIEnv *env, const char *call, int err) {
    jclass cls = (*env)->FindClass(env, "io/processbarrier/ErrnoException");
    if (cls == NULL) {
        return; /* NoClassDefFoundError is pending */
    }
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;I)V");
    if (ctor == NULL) {
        return;
    }
    jstring jcall = (*env)->NewStringUTF(env, call);
    if (jcall == NULL) {
        return;
    }
    jobject ex = (*env)->NewObject(env, cls, ctor, jcall, (jint) err);
    if (ex != NULL) {
        (*env)->Throw(env, (jthrowable) ex);
    }
}

/* Throws an ErrnoException whose call string is formatted like printf. */
#define PB_THROW_ERRNO(env, err, ...)                      \
    do {                                                   \
        char pb_call_[160];                                \
        snprintf(pb_call_, sizeof pb_call_, __VA_ARGS__);  \
        pb_throw_errno((env), pb_call_, (err));            \
    } while (0)

#endif
