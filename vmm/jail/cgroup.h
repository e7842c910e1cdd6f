/* cgroups for the jailer (v1 and v2): the group <controller mount>/<exec name>/<id>, the values
 * from --cgroup FILE=VALUE written into it, and the jailer's own pid moved there, as
 * Firecracker's jailer does. The controller is the part of FILE before the first dot. */
#ifndef VMM_JAIL_CGROUP_H
#define VMM_JAIL_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

/* Applies one "file=value" setting. version is 1 or 2. Returns 0 or -errno with err set. */
int cgroup_apply(int version, const char *exec_name, const char *id, const char *setting,
                 pid_t pid, char *err, size_t errlen);

#endif
