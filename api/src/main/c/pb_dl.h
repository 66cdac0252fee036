/*
 * dladdr, dlopen, dlsym and dlclose at the versions every glibc since 2.17 has. glibc 2.34 moved them from libdl
 * into libc under a new version, and a library linked here would need GLIBC_2.34; the old versions are still
 * exported (libc on 2.34+, libdl before, which the JVM has loaded), so binding to them loads everywhere.
 */
#ifndef PB_DL_H
#define PB_DL_H

#include <dlfcn.h>

#if defined(__GLIBC__)
#  if defined(__x86_64__)
#    define PB_GLIBC_BASE "GLIBC_2.2.5"
#  elif defined(__aarch64__)
#    define PB_GLIBC_BASE "GLIBC_2.17"
#  endif
#  ifdef PB_GLIBC_BASE
__asm__(".symver dladdr,dladdr@" PB_GLIBC_BASE);
__asm__(".symver dlopen,dlopen@" PB_GLIBC_BASE);
__asm__(".symver dlsym,dlsym@" PB_GLIBC_BASE);
__asm__(".symver dlclose,dlclose@" PB_GLIBC_BASE);
#  endif
#endif

#endif
