/* The local APIC (x2APIC through MSRs when the CPU offers it, else xAPIC MMIO) and the IOAPIC:
 * enable, end-of-interrupt, the timer (TSC-deadline mode, else one-shot), IPIs, and routing a
 * GSI to a vector. Intel SDM vol. 3 ch. 11; 82093AA IOAPIC datasheet §3.2.
 * Nothing here runs until something needs interrupts: a boot without devices, timers or other
 * CPUs pays no APIC exits. */
#include <errno.h>

#include "mote/bootchart.h"
#include "mote/mm.h"
#include "mote/platform.h"
#include "mote/printk.h"
#include "mote/trap.h"
#include "mote/x86.h"
#include "arch/x86_64/apic.h"
#include "mote/arch.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_EXTD (1ull << 10)
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_BASE 0x800

#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
#define APIC_ICR_BUSY (1u << 12)
#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)

static bool x2apic, tsc_deadline;
static volatile uint32_t *xapic;
static uint64_t apic_timer_khz;

static uint32_t apic_read(unsigned reg)
{
    return x2apic ? (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4)) : xapic[reg / 4];
}

static void apic_write(unsigned reg, uint32_t v)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
    else
        xapic[reg / 4] = v;
}

static bool lapic_ready_bsp;

/* The boot CPU's LAPIC, set up on first need. */
void arch_lapic_init_cpu_once(void)
{
    if (!lapic_ready_bsp) {
        arch_lapic_init_cpu();
        lapic_ready_bsp = true;
    }
}

/* Per CPU: enable the LAPIC (x2APIC mode if offered), spurious vector, TPR 0, timer mode. */
void arch_lapic_init_cpu(void)
{
    static bool probed;
    if (!probed) {
        uint32_t a, b, c, d;
        cpuid(1, 0, &a, &b, &c, &d);
        x2apic = c & (1u << 21);
        tsc_deadline = c & (1u << 24);
        if (!x2apic)
            xapic = ioremap(platform.lapic_addr ? platform.lapic_addr : 0xfee00000, 4096);
        arch_idt_enable_vector(VEC_SPURIOUS);
        arch_idt_enable_vector(VEC_TIMER);
        arch_idt_enable_vector(VEC_RESCHED);
        probed = true;
        pr_info("lapic: %s, %s timer\n", x2apic ? "x2APIC" : "xAPIC",
                tsc_deadline ? "TSC-deadline" : "one-shot");
    }
    uint64_t base = rdmsr(MSR_APIC_BASE);
    uint64_t want = base | APIC_BASE_EN | (x2apic ? APIC_BASE_EXTD : 0);
    if (want != base)
        wrmsr(MSR_APIC_BASE, want);
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
    apic_write(APIC_LVT_TIMER, VEC_TIMER | (tsc_deadline ? LVT_TSC_DEADLINE : 0));
    if (!tsc_deadline)
        apic_write(APIC_TIMER_DIV, 0xb); /* divide by 1 */
}

uint32_t arch_lapic_id(void)
{
    uint32_t id = apic_read(APIC_ID);
    return x2apic ? id : id >> 24;
}

void arch_lapic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

/* The one-shot timer's rate against the TSC, measured once (no TSC-deadline mode). */
static void calibrate_apic_timer(void)
{
    uint64_t tsc_khz = arch_tsc_khz();
    apic_write(APIC_TIMER_INIT, 0xffffffff);
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < tsc_khz) /* 1 ms */
        __asm__ volatile("pause");
    uint32_t left = apic_read(APIC_TIMER_CUR);
    apic_write(APIC_TIMER_INIT, 0);
    apic_timer_khz = 0xffffffffull - left;
    if (!apic_timer_khz)
        apic_timer_khz = 1000000;
}

void arch_timer_arm(uint64_t deadline_tsc)
{
    arch_lapic_init_cpu_once();
    if (tsc_deadline) {
        wrmsr(MSR_TSC_DEADLINE, deadline_tsc ? deadline_tsc : 1);
        return;
    }
    if (!apic_timer_khz)
        calibrate_apic_timer();
    uint64_t now = rdtsc();
    uint64_t ticks = deadline_tsc > now ? (deadline_tsc - now) * apic_timer_khz / arch_tsc_khz()
                                        : 1;
    apic_write(APIC_TIMER_INIT, ticks > 0xffffffffull ? 0xffffffff : (ticks ? ticks : 1));
}

void arch_send_ipi(uint32_t apic_id, uint32_t icr)
{
    if (x2apic) {
        wrmsr(MSR_X2APIC_BASE + (APIC_ICR_LO >> 4), (uint64_t)apic_id << 32 | icr);
        return;
    }
    apic_write(APIC_ICR_HI, apic_id << 24);
    apic_write(APIC_ICR_LO, icr);
    while (apic_read(APIC_ICR_LO) & APIC_ICR_BUSY)
        __asm__ volatile("pause");
}

/* IOAPIC: select register at +0, window at +0x10. */
static volatile uint32_t *ioapic_mmio[MAX_IOAPICS];
static unsigned ioapic_pins[MAX_IOAPICS];

static uint32_t ioapic_read(unsigned i, uint32_t reg)
{
    ioapic_mmio[i][0] = reg;
    return ioapic_mmio[i][4];
}

static void ioapic_write(unsigned i, uint32_t reg, uint32_t v)
{
    ioapic_mmio[i][0] = reg;
    ioapic_mmio[i][4] = v;
}

void arch_kick_cpu(uint32_t apic_id)
{
    arch_send_ipi(apic_id, ICR_FIXED | VEC_RESCHED);
}

static int irq_route(unsigned gsi, unsigned vector, bool level, bool active_low)
{
    for (unsigned i = 0; i < platform.nioapics; i++) {
        if (!ioapic_mmio[i]) {
            ioapic_mmio[i] = ioremap(platform.ioapic[i].addr, 0x20);
            if (!ioapic_mmio[i])
                return -ENOMEM;
            ioapic_pins[i] = ((ioapic_read(i, 1) >> 16) & 0xff) + 1;
        }
        uint32_t base = platform.ioapic[i].gsi_base;
        if (gsi < base || gsi >= base + ioapic_pins[i])
            continue;
        unsigned pin = gsi - base;
        /* Fixed delivery, physical destination: the boot CPU. */
        ioapic_write(i, 0x11 + 2 * pin, platform.apic_id[0] << 24);
        ioapic_write(i, 0x10 + 2 * pin,
                     vector | (active_low ? 1u << 13 : 0) | (level ? 1u << 15 : 0));
        return 0;
    }
    return -EINVAL;
}

int arch_irq_setup(unsigned gsi, bool level, bool active_low)
{
    static unsigned next = VEC_IRQ_FIRST;
    if (next > VEC_IRQ_LAST)
        return -ENOMEM;
    arch_lapic_init_cpu_once();
    int rc = irq_route(gsi, next, level, active_low);
    if (rc)
        return rc;
    arch_idt_enable_vector(next);
    return next++;
}
