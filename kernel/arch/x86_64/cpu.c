/* CPU tables, one set per CPU: GDT with the user segments and a TSS (RSP0 for entries from the
 * program, IST stacks for #DF, NMI and #MC), the shared IDT, and the system-call MSRs.
 * Intel SDM vol. 3 §3.4.5 (descriptors), §7.7 (64-bit TSS), §6.14 (64-bit IDT), §5.8.8. */
#include "mote/arch.h"
#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/platform.h"
#include "mote/printk.h"
#include "mote/sched.h"
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

/* What the system-call entry finds through KERNEL_GS_BASE (traps.S). */
struct percpu {
    uint64_t kstack;        /* PCPU_KSTACK */
    uint64_t user_rsp;      /* PCPU_USER_RSP */
    uint64_t syscall_entry; /* PCPU_SYSCALL_ENTRY */
};
_Static_assert(__builtin_offsetof(struct percpu, kstack) == PCPU_KSTACK, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PCPU_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, syscall_entry) == PCPU_SYSCALL_ENTRY, "percpu");

#define IST_SIZE 4096
enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3 };

struct cpu_tables {
    uint64_t gdt[8];
    struct tss tss;
    struct percpu percpu;
};

/* null, kernel code, kernel data, (unused 32-bit user code), user data, user code, TSS (2). */
static const uint64_t gdt_template[6] = {
    0,
    0x00af9a000000ffff, /* 0x08 kernel code, 64-bit */
    0x00cf92000000ffff, /* 0x10 kernel data */
    0x00cffa000000ffff, /* 0x18 user code, 32-bit (unused; keeps sysret's order) */
    0x00cff2000000ffff, /* 0x20 user data */
    0x00affa000000ffff, /* 0x28 user code, 64-bit */
};

static struct cpu_tables boot_tables;
static char boot_ist[3][IST_SIZE] __attribute__((aligned(16)));
static struct cpu_tables *tables[MAX_CPUS];
static struct idt_entry idt[256];

extern const uint64_t trap_stubs[22];
extern char irq_stubs[], syscall_entry[], syscall_page_entry[], __syscall_page[];

struct __packed desc_ptr {
    uint16_t limit;
    uint64_t base;
};

_Static_assert(sizeof(struct idt_entry) == 16, "64-bit IDT gate");

/* Two stores a gate (the fields above, packed by hand): the boot fills 22 of them. */
static void set_gate(int vec, uint64_t handler, int ist)
{
    uint64_t *e = (uint64_t *)&idt[vec];
    e[0] = (handler & 0xffff) | (uint64_t)SEL_KCODE << 16 | (uint64_t)ist << 32 |
           0x8eull << 40 /* present, DPL 0, 64-bit interrupt gate */ |
           ((handler >> 16) & 0xffff) << 48;
    e[1] = handler >> 32;
}

void arch_idt_enable_vector(unsigned vec)
{
    /* The stubs for vectors 32-255 are IRQ_STUB_SIZE bytes apart (traps.S). */
    if (vec >= 32 && vec < 256 && !(idt[vec].type & 0x80))
        set_gate(vec, (uint64_t)irq_stubs + (vec - 32) * IRQ_STUB_SIZE, 0);
}

static void load_tables(struct cpu_tables *t)
{
    uint64_t base = (uint64_t)&t->tss, limit = sizeof(t->tss) - 1;
    memcpy(t->gdt, gdt_template, sizeof(gdt_template));
    t->gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    t->gdt[7] = base >> 32;
    t->tss.iomap_base = sizeof(t->tss);

    struct desc_ptr gp = {sizeof(t->gdt) - 1, (uint64_t)t->gdt};
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
    struct desc_ptr ip = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(ip));

    t->percpu.syscall_entry = (uint64_t)syscall_entry;
    wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&t->percpu);
    wrmsr(MSR_STAR, (uint64_t)STAR_USER_BASE << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, SYSCALL_PAGE + (syscall_page_entry - __syscall_page));
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL);
}

void arch_cpu_init(void)
{
    for (int v = 0; v < 22; v++)
        set_gate(v, trap_stubs[v], 0);
    idt[8].ist = IST_DF;
    idt[2].ist = IST_NMI;
    idt[18].ist = IST_MC;
    for (int i = 0; i < 3; i++)
        boot_tables.tss.ist[i] = (uint64_t)(boot_ist[i] + IST_SIZE);
    tables[0] = &boot_tables;
    load_tables(&boot_tables);
}

int arch_cpu_init_ap(unsigned index)
{
    struct cpu_tables *t = tables[index];
    if (!t)
        return -1;
    load_tables(t);
    return 0;
}

int arch_cpu_prepare_ap(unsigned index)
{
    if (index >= MAX_CPUS)
        return -1;
    struct cpu_tables *t = kzalloc(sizeof(*t));
    if (!t)
        return -1;
    for (int i = 0; i < 3; i++) {
        paddr_t p = page_alloc_dirty();
        if (!p)
            return -1;
        t->tss.ist[i] = (uint64_t)phys_to_virt(p) + IST_SIZE;
    }
    tables[index] = t;
    return 0;
}

void arch_set_kernel_stack(unsigned cpu_index, uint64_t top)
{
    struct cpu_tables *t = tables[cpu_index];
    t->tss.rsp[0] = top;
    t->percpu.kstack = top;
}

void arch_set_fs_base(uint64_t base)
{
    current()->fs_base = base; /* restored on every switch to this thread */
    wrmsr(MSR_FS_BASE, base);
}

uint64_t arch_get_fs_base(void)
{
    return rdmsr(MSR_FS_BASE);
}
