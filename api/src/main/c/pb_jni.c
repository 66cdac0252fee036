/*
 * How the library binds to Java, whatever the package of the copy that loads it (Netty's approach: RegisterNatives,
 * no Java_* symbols).
 *
 * The loader names the file it loads after its own class: libprocessbarrier-<sha16>-<binary class name>[-x].so.
 * JNI_OnLoad reads that name back (dladdr on itself), finds the class (FindClass in JNI_OnLoad uses the class loader
 * of the caller of System.load, so a sibling class loader or a relocated copy finds its own class) and registers two
 * methods on it: init(Class errnoException), bind(Class target, String group). The Java side then binds each
 * provider's group to the provider's class. A copy of the library is one dlopen of one file, with its own statics:
 * every class loader that loads ProcessBarrier loads its own file (System.load refuses a path another loader has).
 */
#define _GNU_SOURCE
#include "pb_dl.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pb_jni.h"

#define PB_FILE_PREFIX "libprocessbarrier-"

static struct pb_group *pb_groups;
static jweak pb_errno_class; /* weak: a strong reference would keep the class loader, and so this library, alive */
static int pb_unloaded;

void pb_register_group(struct pb_group *group) {
    group->next = pb_groups;
    pb_groups = group;
}

int pb_orphaned(void) {
    return __atomic_load_n(&pb_unloaded, __ATOMIC_ACQUIRE);
}

/* For another copy of the library in this process: 1 once this copy's Java side is gone. See signal.c. */
JNIEXPORT int processbarrier_orphaned(void) {
    return pb_orphaned();
}

void pb_throw_errno(JNIEnv *env, const char *call, int err) {
    jclass cls = (*env)->NewLocalRef(env, pb_errno_class);
    if (cls == NULL) {
        jclass ise = (*env)->FindClass(env, "java/lang/IllegalStateException");
        if (ise != NULL) {
            (*env)->ThrowNew(env, ise, call); /* init() was never called: a bug of the Java side */
        }
        return;
    }
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;I)V");
    if (ctor == NULL) {
        return; /* NoSuchMethodError is pending */
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

static void pb_throw(JNIEnv *env, const char *cls_name, const char *message) {
    jclass cls = (*env)->FindClass(env, cls_name);
    if (cls != NULL) {
        (*env)->ThrowNew(env, cls, message);
    }
}

static void pb_init(JNIEnv *env, jclass self, jclass errno_class) {
    (void) self;
    if (errno_class == NULL) {
        pb_throw(env, "java/lang/NullPointerException", "init(null)");
        return;
    }
    jweak weak = (*env)->NewWeakGlobalRef(env, errno_class);
    if (weak == NULL) {
        return; /* OutOfMemoryError is pending */
    }
    jweak old = __atomic_exchange_n(&pb_errno_class, weak, __ATOMIC_ACQ_REL);
    if (old != NULL) {
        (*env)->DeleteWeakGlobalRef(env, old);
    }
}

static void pb_bind(JNIEnv *env, jclass self, jclass target, jstring jgroup) {
    (void) self;
    if (target == NULL || jgroup == NULL) {
        pb_throw(env, "java/lang/NullPointerException", "bind(target, group)");
        return;
    }
    const char *group = (*env)->GetStringUTFChars(env, jgroup, NULL);
    if (group == NULL) {
        return;
    }
    const struct pb_group *g = pb_groups;
    while (g != NULL && strcmp(g->name, group) != 0) {
        g = g->next;
    }
    if (g == NULL) {
        char message[200];
        snprintf(message, sizeof message, "this libprocessbarrier.so has no native methods for '%s': "
                 "the natives jar is older than the provider; use the natives jar of the same version", group);
        (*env)->ReleaseStringUTFChars(env, jgroup, group);
        pb_throw(env, "java/lang/UnsatisfiedLinkError", message);
        return;
    }
    (*env)->ReleaseStringUTFChars(env, jgroup, group);
    /* on failure NoSuchMethodError names the method the Java class lacks */
    (*env)->RegisterNatives(env, target, g->methods, g->count);
}

static const JNINativeMethod pb_loader_methods[] = {
    {"init", "(Ljava/lang/Class;)V", (void *) pb_init},
    {"bind", "(Ljava/lang/Class;Ljava/lang/String;)V", (void *) pb_bind},
};

/*
 * The binary name of the loader class, from this library's file name; 0, or -1 with an exception pending.
 * "libprocessbarrier-0123456789abcdef-com.example.pb.internal.NativeLoader-123.so" gives
 * "com/example/pb/internal/NativeLoader" (a Java name has no '-').
 */
static int pb_loader_class(JNIEnv *env, char *out, size_t size) {
    Dl_info info;
    if (dladdr((void *) pb_loader_class, &info) == 0 || info.dli_fname == NULL) {
        pb_throw(env, "java/lang/UnsatisfiedLinkError", "dladdr cannot name the file of libprocessbarrier");
        return -1;
    }
    const char *base = strrchr(info.dli_fname, '/');
    base = base == NULL ? info.dli_fname : base + 1;
    const char *name = NULL;
    if (strncmp(base, PB_FILE_PREFIX, strlen(PB_FILE_PREFIX)) == 0) {
        name = strchr(base + strlen(PB_FILE_PREFIX), '-');
    }
    if (name == NULL) {
        char message[512];
        snprintf(message, sizeof message, "%s: not a name ProcessBarrier gives its library (%s<sha>-<class>.so); "
                 "load it through ProcessBarrier's loader, which names each copy after the class that binds it",
                 info.dli_fname, PB_FILE_PREFIX);
        pb_throw(env, "java/lang/UnsatisfiedLinkError", message);
        return -1;
    }
    name++;
    size_t len = strcspn(name, "-");
    if (len > 3 && name[len] == '\0' && strcmp(name + len - 3, ".so") == 0) {
        len -= 3;
    }
    if (len == 0 || len >= size) {
        pb_throw(env, "java/lang/UnsatisfiedLinkError", "libprocessbarrier: no class name in the file name");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        out[i] = name[i] == '.' ? '/' : name[i];
    }
    out[len] = '\0';
    return 0;
}

JNIEXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void) reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **) &env, JNI_VERSION_1_8) != JNI_OK) {
        return JNI_ERR;
    }
    char name[1024];
    if (pb_loader_class(env, name, sizeof name) != 0) {
        return JNI_ERR;
    }
    jclass loader = (*env)->FindClass(env, name);
    if (loader == NULL) {
        return JNI_ERR; /* NoClassDefFoundError names it */
    }
    if ((*env)->RegisterNatives(env, loader, pb_loader_methods, 2) != 0) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_8;
}

JNIEXPORT void JNI_OnUnload(JavaVM *vm, void *reserved) {
    (void) reserved;
    JNIEnv *env;
    jweak weak = __atomic_exchange_n(&pb_errno_class, NULL, __ATOMIC_ACQ_REL);
    if (weak != NULL && (*vm)->GetEnv(vm, (void **) &env, JNI_VERSION_1_8) == JNI_OK) {
        (*env)->DeleteWeakGlobalRef(env, weak);
    }
    /* what signal.c checks before it lets another copy take over a handler this copy installed */
    __atomic_store_n(&pb_unloaded, 1, __ATOMIC_RELEASE);
}
