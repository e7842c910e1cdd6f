/* Starting the application processors, one at a time: through the ACPI 6.4 Multiprocessor Wakeup
 * mailbox when the MADT offers one (motevm: the AP starts directly in long mode), else with
 * INIT-SIPI-SIPI (Intel SDM vol. 3 §9.4.4; QEMU and hardware). Each AP loads its own GDT/TSS,
 * the IDT and the kernel page tables, enables its LAPIC and becomes an idle CPU. */
#include "abi/acpi.h"
#include "arch/x86_64/apic.h"
#include "mote/arch.h"
#include "mote/bootchart.h"
#include "mote/mm.h"
#include "mote/platform.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/x86.h"

#define AP_TIMEOUT_MS 200

extern const char ap_trampoline[], ap_trampoline_end[];
extern const uint64_t ap_tramp64_offset;
uint64_t ap_boot_rsp;
static volatile unsigned ap_booting_index;

struct thread *sched_prepare_ap(unsigned index, uint32_t apic_id);

void ap_main(void);
void ap_main(void)
{
    unsigned index = ap_booting_index;
    arch_cpu_init_ap(index);
    arch_lapic_init_cpu();
    sched_ap_start(&cpus[index]);
}

static bool wait_online(unsigned index)
{
    uint64_t t0 = rdtsc(), limit = AP_TIMEOUT_MS * arch_tsc_khz();
    while (!cpus[index].online)
        if (rdtsc() - t0 > limit)
            return false;
        else
            __asm__ volatile("pause");
    return true;
}

static bool wake_by_mailbox(volatile struct acpi_mp_wakeup_mailbox *mb, uint32_t apic_id)
{
    mb->apic_id = apic_id;
    mb->wakeup_vector = AP_TRAMPOLINE_PHYS + ap_tramp64_offset;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    mb->command = ACPI_MP_WAKEUP_COMMAND_WAKEUP;
    uint64_t t0 = rdtsc(), limit = AP_TIMEOUT_MS * arch_tsc_khz();
    while (mb->command != ACPI_MP_WAKEUP_COMMAND_NOOP) /* the firmware's acknowledgement */
        if (rdtsc() - t0 > limit)
            return false;
    return true;
}

static void wake_by_sipi(uint32_t apic_id)
{
    arch_send_ipi(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
    arch_send_ipi(apic_id, ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++)
        arch_send_ipi(apic_id, ICR_STARTUP | (AP_TRAMPOLINE_PHYS >> 12));
}

unsigned arch_start_aps(void)
{
    if (platform.ncpus <= 1)
        return 1;
    memcpy(phys_to_virt(AP_TRAMPOLINE_PHYS), ap_trampoline, ap_trampoline_end - ap_trampoline);
    arch_lapic_init_cpu_once();
    uint32_t self = arch_lapic_id();
    cpus[0].apic_id = self;
    volatile struct acpi_mp_wakeup_mailbox *mb =
        platform.mp_wakeup_mailbox ? ioremap(platform.mp_wakeup_mailbox, 4096) : NULL;

    unsigned index = 1;
    for (unsigned i = 0; i < platform.ncpus && index < MAX_CPUS; i++) {
        uint32_t id = platform.apic_id[i];
        if (id == self)
            continue;
        if (arch_cpu_prepare_ap(index)) {
            pr_warn("smp: no memory for CPU %u\n", index);
            break;
        }
        struct thread *idle = sched_prepare_ap(index, id);
        ap_boot_rsp = (uint64_t)idle->stack + KSTACK_SIZE - 16;
        ap_booting_index = index;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (mb) {
            if (!wake_by_mailbox(mb, id)) {
                pr_warn("smp: APIC %u did not take the wakeup mailbox command\n", id);
                continue;
            }
        } else {
            wake_by_sipi(id);
        }
        if (!wait_online(index)) {
            pr_warn("smp: APIC %u did not come up\n", id);
            continue;
        }
        index++;
    }
    return cpus_online;
}
