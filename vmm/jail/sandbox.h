/* motevm's seccomp filters (libseccomp), one per thread kind, as Firecracker's: the API thread
 * (sockets), the VMM thread (after the VM is built: KVM ioctls, logs, metrics), the vCPU
 * threads (KVM_RUN and device work) and the device threads (virtio queues, console input).
 * Anything else kills the whole process (SIGSYS).
 * --no-seccomp turns them off. The policy is in docs/api.md, "seccomp". */
#ifndef VMM_JAIL_SANDBOX_H
#define VMM_JAIL_SANDBOX_H

#include <stdbool.h>

enum sandbox_kind { SANDBOX_API, SANDBOX_VMM, SANDBOX_VCPU, SANDBOX_DEVICE };

/* Set once, before any thread starts, from --no-seccomp and the debug flag
 * --debug-seccomp-violation KIND ("api", "vmm", "vcpu" or "device": that thread makes a
 * forbidden system call right after loading its filter, for the tests). */
void sandbox_configure(bool enabled, const char *violate);

/* Parses "api", "vmm", "vcpu", "device". Returns the kind or -1. */
int sandbox_kind_parse(const char *s);

/* Loads the filter of kind on the calling thread (a no-op when disabled). A filter that cannot
 * be loaded ends motevm with a message: running unfiltered silently is not an option. */
void sandbox_apply(enum sandbox_kind kind);

/* The same, as thread start hooks. */
void sandbox_api_thread(void);
void sandbox_vcpu_thread(void);
void sandbox_device_thread(void);

#endif
