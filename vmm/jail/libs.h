/* The runtime a dynamically linked --exec-file needs inside the jail: its ELF interpreter and
 * every DT_NEEDED library, found as the loader finds them without a cache. */
#ifndef VMM_JAIL_LIBS_H
#define VMM_JAIL_LIBS_H

#include <stddef.h>

/* Copies exec's PT_INTERP file and its DT_NEEDED libraries (transitively) under root, each at
 * the path it has on the host, so the loader inside the chroot finds them in its default
 * directories. Nothing is copied for a static binary. Returns 0, or -1 with err filled. */
int jail_copy_libs(const char *exec, const char *root, char *err, size_t errlen);

#endif
