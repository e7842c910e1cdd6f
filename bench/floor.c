/* The boot benchmark's floor: the least a KVM monitor process can do to run guest code. Creates
 * a VM with 2 MiB of RAM (registered first), one vCPU put straight into 64-bit long mode with its
 * own GDT and identity page tables, and runs "mov $123,%al; out %al,$0x3f0; hlt". Prints nothing
 * and exits 0 on success; without /dev/kvm it says why and exits 2; a failure inside exits 1.
 * Standalone on purpose: it shares no code with motevm, so it measures KVM, not motevm. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE 0x200000ull
#define GDT_ADDR 0x500ull
#define PML4_ADDR 0x9000ull
#define PDPT_ADDR 0xa000ull
#define PD_ADDR 0xb000ull
#define CODE_ADDR 0x10000ull
#define STACK_ADDR 0x8ff0ull
#define BOOT_PORT 0x3f0
#define BOOT_MAGIC 123

static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void segment(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t l, uint8_t db)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->s = 1;
    s->l = l;
    s->db = db;
    s->g = 1;
}

int main(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        fprintf(stderr, "floor: cannot open /dev/kvm: %s\n", strerror(errno));
        return 2;
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");

    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    /* GDT: null, 64-bit code (0x08), data (0x10). Page tables: 1 GiB identity, 2 MiB pages. */
    uint64_t gdt[3] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
    memcpy(ram + GDT_ADDR, gdt, sizeof(gdt));
    uint64_t *pml4 = (uint64_t *)(ram + PML4_ADDR), *pdpt = (uint64_t *)(ram + PDPT_ADDR);
    uint64_t *pd = (uint64_t *)(ram + PD_ADDR);
    pml4[0] = PDPT_ADDR | 3;
    pdpt[0] = PD_ADDR | 3;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | 0x83;
    /* mov $123,%al; mov $0x3f0,%dx; out %al,(%dx); hlt ("out imm8" reaches only port 0xff) */
    static const uint8_t code[] = { 0xb0, BOOT_MAGIC, 0x66, 0xba, BOOT_PORT & 0xff,
                                    BOOT_PORT >> 8, 0xee, 0xf4 };
    memcpy(ram + CODE_ADDR, code, sizeof(code));

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");

    /* Long mode needs CPUID to admit it (EFER.LME is checked against the guest's CPUID). */
    struct {
        struct kvm_cpuid2 hdr;
        struct kvm_cpuid_entry2 e[256];
    } cpuid = { .hdr.nent = 256 };
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0)
        die("KVM_GET_SUPPORTED_CPUID");
    if (ioctl(vcpu, KVM_SET_CPUID2, &cpuid) < 0)
        die("KVM_SET_CPUID2");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    segment(&sregs.cs, 0x08, 0xb, 1, 0);
    segment(&sregs.ds, 0x10, 0x3, 0, 1);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.gdt.base = GDT_ADDR;
    sregs.gdt.limit = sizeof(gdt) - 1;
    sregs.cr0 = 0x80000033;    /* PG | NE | ET | MP | PE */
    sregs.cr3 = PML4_ADDR;
    sregs.cr4 = 0x20;          /* PAE */
    sregs.efer = 0x500;        /* LME | LMA */
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");
    struct kvm_regs regs = { .rip = CODE_ADDR, .rsp = STACK_ADDR, .rflags = 2 };
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");

    int signalled = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            if (run->io.port == BOOT_PORT && run->io.direction == KVM_EXIT_IO_OUT &&
                *((uint8_t *)run + run->io.data_offset) == BOOT_MAGIC)
                signalled = 1;
            break;
        case KVM_EXIT_HLT:
            if (signalled)
                return 0;
            fprintf(stderr, "floor: guest halted before its boot signal\n");
            return 1;
        default:
            fprintf(stderr, "floor: unexpected exit reason %u\n", run->exit_reason);
            return 1;
        }
    }
}
