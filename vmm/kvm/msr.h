/* Boot-time MSR values, as Firecracker sets them (src/vmm/src/arch/x86_64/msr.rs,
 * create_boot_msr_entries): system-call MSRs and the TSC zero, fast strings on, MTRRs enabled
 * with write-back as the default type. */
#ifndef VMM_KVM_MSR_H
#define VMM_KVM_MSR_H

#include <linux/kvm.h>

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 0x1ull
#define MTRR_ENABLE (1ull << 11)
#define MTRR_TYPE_WRBACK 6ull

#define BOOT_MSR_COUNT 11

/* Writes BOOT_MSR_COUNT entries; returns the count. */
unsigned msr_boot_entries(struct kvm_msr_entry *e);

/* KVM_SET_MSRS with the boot entries. Returns 0, -errno, or 1 when KVM refused one: *refused
 * then holds that MSR's number. */
int msr_set_boot(int vcpu_fd, unsigned *refused);

#endif
