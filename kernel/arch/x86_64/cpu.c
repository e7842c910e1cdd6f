/* CPU tables: GDT with the user segments and a TSS (RSP0 and IST stacks), the IDT, and the
 * system-call MSRs. Intel SDM vol. 3 §3.4.5 (descriptors), §7.7 (64-bit TSS), §6.14 (64-bit IDT),
 * §5.8.8 (SYSCALL/SYSRET). */
#include "mote/layout.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/x86.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS");

struct idt_entry {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} __packed;

struct percpu {
    uint64_t kstack;        /* PCPU_KSTACK */
    uint64_t user_rsp;      /* PCPU_USER_RSP */
    uint64_t syscall_entry; /* PCPU_SYSCALL_ENTRY */
};
_Static_assert(__builtin_offsetof(struct percpu, kstack) == PCPU_KSTACK, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PCPU_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, syscall_entry) == PCPU_SYSCALL_ENTRY, "percpu");

#define KSTACK_SIZE 16384
#define IST_SIZE 4096
enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3 };

static char kstack[KSTACK_SIZE] __attribute__((aligned(16)));
static char ist_stacks[3][IST_SIZE] __attribute__((aligned(16)));
static struct tss tss;
static struct idt_entry idt[32];
static struct percpu percpu;

/* null, kernel code, kernel data, (unused 32-bit user code), user data, user code, TSS (2). */
static uint64_t gdt[8] = {
    0,
    0x00af9a000000ffff, /* 0x08 kernel code, 64-bit */
    0x00cf92000000ffff, /* 0x10 kernel data */
    0x00cffa000000ffff, /* 0x18 user code, 32-bit (unused; keeps sysret's order) */
    0x00cff2000000ffff, /* 0x20 user data */
    0x00affa000000ffff, /* 0x28 user code, 64-bit */
    0, 0,               /* 0x30 TSS */
};

extern const uint64_t trap_stubs[22];
extern char syscall_entry[], syscall_page_entry[], __syscall_page[];

struct __packed desc_ptr {
    uint16_t limit;
    uint64_t base;
};

static void set_gate(int vec, uint64_t handler, int ist, int dpl)
{
    idt[vec].off_lo = handler & 0xffff;
    idt[vec].sel = SEL_KCODE;
    idt[vec].ist = ist;
    idt[vec].type = 0x8e | (dpl << 5); /* present, 64-bit interrupt gate */
    idt[vec].off_mid = (handler >> 16) & 0xffff;
    idt[vec].off_hi = handler >> 32;
}

void arch_cpu_init(void)
{
    tss.rsp[0] = (uint64_t)(kstack + KSTACK_SIZE);
    tss.ist[IST_DF - 1] = (uint64_t)(ist_stacks[0] + IST_SIZE);
    tss.ist[IST_NMI - 1] = (uint64_t)(ist_stacks[1] + IST_SIZE);
    tss.ist[IST_MC - 1] = (uint64_t)(ist_stacks[2] + IST_SIZE);
    tss.iomap_base = sizeof(tss);

    uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
    gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    gdt[7] = base >> 32;

    struct desc_ptr gp = {sizeof(gdt) - 1, (uint64_t)gdt};
    __asm__ volatile("lgdt %0" : : "m"(gp));
    /* Reload CS with a far return, then the data segments, then the task register. */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movl %1, %%eax\n\t"
                     "movl %%eax, %%ds\n\t"
                     "movl %%eax, %%es\n\t"
                     "movl %%eax, %%ss\n\t"
                     "ltr %w2"
                     :
                     : "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
                     : "rax", "memory");

    for (int v = 0; v < 22; v++) {
        int ist = v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0;
        set_gate(v, trap_stubs[v], ist, 0);
    }
    struct desc_ptr ip = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(ip));

    percpu.kstack = tss.rsp[0];
    percpu.syscall_entry = (uint64_t)syscall_entry;
    wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&percpu);
    wrmsr(MSR_STAR, (uint64_t)STAR_USER_BASE << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, SYSCALL_PAGE + (syscall_page_entry - __syscall_page));
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL);
}

void arch_set_fs_base(uint64_t base)
{
    wrmsr(MSR_FS_BASE, base);
}

uint64_t arch_get_fs_base(void)
{
    return rdmsr(MSR_FS_BASE);
}
