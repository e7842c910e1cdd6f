/* The CPUID a vCPU sees: KVM_GET_SUPPORTED_CPUID, normalised per vCPU as Firecracker does
 * (src/vmm/src/cpu_config/x86_64/cpuid/normalize.rs), plus the KVM/VMware timing leaf
 * 0x40000010 so the guest reads its TSC frequency instead of calibrating. */
#ifndef VMM_KVM_CPUID_H
#define VMM_KVM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 256
#define CPUID_LEAF_TIMING 0x40000010u
#define LAPIC_BUS_KHZ 1000000u      /* KVM's APIC timer runs at 1 GHz */

struct cpuid_topology {
    unsigned index;     /* this vCPU: APIC id */
    unsigned count;     /* vCPUs in the VM */
    bool smt;           /* two threads per core */
    uint32_t tsc_khz;   /* 0: unknown, no timing leaf */
};

/* Allocates a kvm_cpuid2 with room for CPUID_MAX_ENTRIES + 1 entries, from KVM. NULL on error
 * (errno set). */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);

/* Rewrites c in place for one vCPU. c must have room for one more entry than c->nent (the
 * timing leaf may be appended): capacity says how many. */
void cpuid_normalize(struct kvm_cpuid2 *c, unsigned capacity, const struct cpuid_topology *t);

/* The entry for (function, index), or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index);

#endif
