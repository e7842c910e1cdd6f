/* vCPUs: creation and configuration (CPUID, MSRs, LAPIC; boot registers on the BSP only), one
 * thread each running KVM_RUN and dispatching exits to the bus. APs (index > 0) sit in KVM's
 * wait-for-SIPI state until the guest starts them, by INIT-SIPI-SIPI or through the ACPI
 * Multiprocessor Wakeup mailbox (kvm/wake.h). */
#ifndef VMM_KVM_VCPU_H
#define VMM_KVM_VCPU_H

#include <stddef.h>

#include "vmm/machine.h"

#define VCPU_STACK_SIZE (128 * 1024)

/* Creates vCPU index of m and configures it. Returns 0 or -errno with err set. */
int vcpu_create(struct machine *m, unsigned index, char *err, size_t errlen);

/* Starts its thread. Call with the signals the main thread waits for blocked. */
int vcpu_start(struct vcpu *v);

#endif
