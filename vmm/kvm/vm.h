/* The KVM VM: /dev/kvm, the VM fd, guest RAM and the in-kernel irqchip. Set-up order matters
 * on PVM hosts: memory is registered before KVM_CREATE_IRQCHIP (the other order costs ~7 ms). */
#ifndef VMM_KVM_VM_H
#define VMM_KVM_VM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

#define KVM_API_VERSION_WANTED 12

struct kvm_vm {
    int kvm_fd;
    int vm_fd;
    size_t run_size;            /* KVM_GET_VCPU_MMAP_SIZE */
    struct guest_mem mem;
    struct kvm_cpuid2 *cpuid;   /* KVM_GET_SUPPORTED_CPUID, normalised per vCPU later */
};

struct kvm_vm_options {
    uint64_t ram_size;
    bool huge_pages;            /* back RAM with 2 MiB pages */
    bool pit;                   /* KVM_CREATE_PIT2 */
};

/* Opens /dev/kvm and builds the VM. Returns 0 or -errno with err = "<step>: <why>"
 * (e.g. "cannot open /dev/kvm: No such file or directory"). */
int kvm_vm_create(struct kvm_vm *vm, const struct kvm_vm_options *o, char *err, size_t errlen);

/* The most vCPUs this VM may have (KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS, else 4). */
unsigned kvm_vm_max_vcpus(const struct kvm_vm *vm);

/* Drives interrupt line irq (a GSI: PIC and IOAPIC pin) to level. */
void kvm_vm_set_irq(struct kvm_vm *vm, unsigned irq, bool level);

#endif
