/* MP table writer; see mptable.h. MP spec 1.4 §4.1 (floating pointer), §4.2-4.3 (table). */
#include "vmm/boot/mptable.h"

#include <errno.h>
#include <string.h>

#include "common/mptable.h"
#include "vmm/boot/layout.h"

#define CPU_STEPPING 0x600
#define CPU_FEATURE_FPU 0x001
#define CPU_FEATURE_APIC 0x200

size_t mptable_size(unsigned ncpus)
{
    return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
           ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
           (MP_IRQS + 2) * sizeof(struct mpc_intsrc);
}

int mptable_build(void *buf, size_t len, unsigned ncpus)
{
    size_t size = mptable_size(ncpus);
    if (len < size)
        return -ENOSPC;
    memset(buf, 0, size);

    struct mpf_intel *mpf = buf;
    struct mpc_table *mpc = (struct mpc_table *)(mpf + 1);
    uint8_t *p = (uint8_t *)(mpc + 1);
    uint8_t ioapic_id = (uint8_t)(ncpus + 1);
    uint16_t entries = 0;

    for (unsigned i = 0; i < ncpus; i++, entries++) {
        struct mpc_cpu cpu = {
            .type = MP_PROCESSOR, .apicid = (uint8_t)i, .apicver = MP_APIC_VERSION,
            .cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
            .cpufeature = CPU_STEPPING, .featureflag = CPU_FEATURE_APIC | CPU_FEATURE_FPU,
        };
        memcpy(p, &cpu, sizeof(cpu));
        p += sizeof(cpu);
    }
    struct mpc_bus bus = { .type = MP_BUS, .busid = 0 };
    memcpy(bus.bustype, "ISA   ", 6);
    memcpy(p, &bus, sizeof(bus));
    p += sizeof(bus);
    entries++;

    struct mpc_ioapic ioapic = { .type = MP_IOAPIC, .apicid = ioapic_id,
                                 .apicver = MP_APIC_VERSION, .flags = MPC_APIC_USABLE,
                                 .apicaddr = (uint32_t)IOAPIC_ADDR };
    memcpy(p, &ioapic, sizeof(ioapic));
    p += sizeof(ioapic);
    entries++;

    for (unsigned irq = 0; irq < MP_IRQS; irq++, entries++) {
        struct mpc_intsrc src = { .type = MP_INTSRC, .irqtype = MP_INT, .irqflag = 0,
                                  .srcbus = 0, .srcbusirq = (uint8_t)irq, .dstapic = ioapic_id,
                                  .dstirq = (uint8_t)irq };
        memcpy(p, &src, sizeof(src));
        p += sizeof(src);
    }
    struct mpc_intsrc lint[2] = {
        { .type = MP_LINTSRC, .irqtype = MP_EXTINT, .dstapic = 0, .dstirq = 0 },
        { .type = MP_LINTSRC, .irqtype = MP_NMI, .dstapic = MP_APIC_ALL, .dstirq = 1 },
    };
    memcpy(p, lint, sizeof(lint));
    p += sizeof(lint);
    entries += 2;

    memcpy(mpc->signature, MPC_SIGNATURE, 4);
    mpc->length = (uint16_t)(p - (uint8_t *)mpc);
    mpc->spec = MP_SPEC_REV_1_4;
    memcpy(mpc->oem, "FC      ", 8);
    memcpy(mpc->productid, "000000000000", 12);
    mpc->oemcount = entries;
    mpc->lapic = (uint32_t)LAPIC_ADDR;
    mpc->checksum = (uint8_t)-mp_checksum(mpc, mpc->length);

    memcpy(mpf->signature, MPF_SIGNATURE, 4);
    mpf->physptr = (uint32_t)(MPTABLE_ADDR + sizeof(*mpf));
    mpf->length = 1;
    mpf->specification = MP_SPEC_REV_1_4;
    mpf->checksum = (uint8_t)-mp_checksum(mpf, sizeof(*mpf));
    return (int)size;
}
