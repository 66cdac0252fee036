/*
 * Shared by every provider's C file: how its JNI functions reach Java, and how a failed system call becomes a Java
 * exception.
 *
 * No Java class name is compiled into the library, so that a relocated (shaded) copy links like the original: a
 * provider's file declares a table of its native methods (name, signature, function) under a group name, and the
 * Java side binds the group to whatever class it passes in (pb_jni.c). Everything else in the library is hidden;
 * only JNI_OnLoad, JNI_OnUnload and processbarrier_orphaned are exported.
 */
#ifndef PB_JNI_H
#define PB_JNI_H

#include <jni.h>
#include <stdio.h>

struct pb_group {
    const char *name;               /* what the Java side asks for, e.g. "membarrier" */
    const JNINativeMethod *methods;
    int count;
    struct pb_group *next;
};

/* Adds a group; called from each provider file's constructor, before JNI_OnLoad. */
void pb_register_group(struct pb_group *group);

/* One line per provider file: its table of native methods becomes bindable under NAME. */
#define PB_GROUP(NAME, METHODS)                                                                \
    static struct pb_group pb_group_##NAME = {#NAME, METHODS, sizeof METHODS / sizeof METHODS[0], NULL}; \
    __attribute__((constructor)) static void pb_group_##NAME##_init(void) {                   \
        pb_register_group(&pb_group_##NAME);                                                   \
    }

/* Throws the ErrnoException class this copy's Java side registered, with (call, err). Returns at once. */
void pb_throw_errno(JNIEnv *env, const char *call, int err);

/* Whether the Java side of this copy of the library has been unloaded (its class loader collected). */
int pb_orphaned(void);

/*
 * Throws an ErrnoException whose call string is formatted like printf. ERR is evaluated first, before snprintf or
 * anything else can change errno.
 */
#define PB_THROW_ERRNO(env, err, ...)                      \
    do {                                                   \
        int pb_err_ = (err);                               \
        char pb_call_[160];                                \
        snprintf(pb_call_, sizeof pb_call_, __VA_ARGS__);  \
        pb_throw_errno((env), pb_call_, pb_err_);          \
    } while (0)

#endif
