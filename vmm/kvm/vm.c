/* VM creation; see vm.h. Linux Documentation/virt/kvm/api.rst §4 for each ioctl. */
#include "vmm/kvm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/boot/layout.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/log.h"

static int fail(char *err, size_t errlen, const char *step)
{
    int e = errno;
    snprintf(err, errlen, "%s: %s", step, strerror(e));
    return -e;
}

static int set_slot(struct kvm_vm *vm, uint32_t slot, gpa_t gpa, uint64_t size, void *host)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot, .guest_phys_addr = gpa, .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };
    return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static int map_ram(struct kvm_vm *vm, const struct kvm_vm_options *o, char *err, size_t errlen)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    if (o->huge_pages)
        flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
    void *ram = mmap(NULL, o->ram_size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (ram == MAP_FAILED)
        return fail(err, errlen, "cannot map guest RAM");
    vm->mem.host = ram;
    vm->mem.ram_size = o->ram_size;

    uint64_t low = mem_low_size(o->ram_size), high = mem_high_size(o->ram_size);
    if (set_slot(vm, 0, 0, low, ram))
        return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION");
    if (high && set_slot(vm, 1, MMIO_GAP_END, high, vm->mem.host + low))
        return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION (above 4 GiB)");
    return 0;
}

int kvm_vm_create(struct kvm_vm *vm, const struct kvm_vm_options *o, char *err, size_t errlen)
{
    int rc;

    memset(vm, 0, sizeof(*vm));
    vm->vm_fd = -1;
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        return fail(err, errlen, "cannot open /dev/kvm");
    int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION_WANTED) {
        snprintf(err, errlen, "/dev/kvm: KVM API version %d, need %d", version,
                 KVM_API_VERSION_WANTED);
        return -ENOTSUP;
    }
    do
        vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    while (vm->vm_fd < 0 && errno == EINTR);
    if (vm->vm_fd < 0)
        return fail(err, errlen, "KVM_CREATE_VM");

    /* Memory first: registering it after the irqchip exists is much slower on PVM. */
    if ((rc = map_ram(vm, o, err, errlen)))
        return rc;
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
        return fail(err, errlen, "KVM_SET_TSS_ADDR");
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail(err, errlen, "KVM_CREATE_IRQCHIP");
    if (o->pit) {
        struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
        if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
            return fail(err, errlen, "KVM_CREATE_PIT2");
    }
    int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        return fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE");
    vm->run_size = size;
    vm->cpuid = cpuid_supported(vm->kvm_fd);
    if (!vm->cpuid)
        return fail(err, errlen, "KVM_GET_SUPPORTED_CPUID");
    return 0;
}

unsigned kvm_vm_max_vcpus(const struct kvm_vm *vm)
{
    int n = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (n <= 0)
        n = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    return n > 0 ? (unsigned)n : 4; /* api.rst: without the capability, assume 4 */
}

void kvm_vm_set_irq(struct kvm_vm *vm, unsigned irq, bool level)
{
    struct kvm_irq_level l = { .irq = irq, .level = level };
    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
        log_msg(LOG_WARN, "KVM_IRQ_LINE %u=%d: %s", irq, level, strerror(errno));
}
