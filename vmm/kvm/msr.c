/* Boot MSRs; see msr.h. */
#include "vmm/kvm/msr.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

unsigned msr_boot_entries(struct kvm_msr_entry *e)
{
    static const struct { uint32_t index; uint64_t value; } boot[BOOT_MSR_COUNT] = {
        { MSR_IA32_SYSENTER_CS, 0 },  { MSR_IA32_SYSENTER_ESP, 0 }, { MSR_IA32_SYSENTER_EIP, 0 },
        { MSR_STAR, 0 },              { MSR_CSTAR, 0 },             { MSR_KERNEL_GS_BASE, 0 },
        { MSR_SYSCALL_MASK, 0 },      { MSR_LSTAR, 0 },             { MSR_IA32_TSC, 0 },
        { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
        { MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WRBACK },
    };
    for (unsigned i = 0; i < BOOT_MSR_COUNT; i++) {
        memset(&e[i], 0, sizeof(e[i]));
        e[i].index = boot[i].index;
        e[i].data = boot[i].value;
    }
    return BOOT_MSR_COUNT;
}

int msr_set_boot(int vcpu_fd, unsigned *refused)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[BOOT_MSR_COUNT];
    } m;
    memset(&m, 0, sizeof(m));
    m.hdr.nmsrs = msr_boot_entries(m.e);
    int n = ioctl(vcpu_fd, KVM_SET_MSRS, &m);
    if (n < 0)
        return -errno;
    if ((unsigned)n < m.hdr.nmsrs) {
        *refused = m.e[n].index; /* KVM stops at the first MSR it rejects */
        return 1;
    }
    return 0;
}
