/* The machine assumed when no firmware table says otherwise: one CPU, the standard LAPIC and
 * IOAPIC addresses, identity ISA routing. Pure C (host unit tests link it). */
#include "mote/platform.h"
#include "mote/string.h"

#define DEFAULT_LAPIC 0xfee00000
#define DEFAULT_IOAPIC 0xfec00000

void platform_defaults(struct platform *p)
{
    memset(p, 0, sizeof(*p));
    p->source = "default";
    p->ncpus = 1;
    p->lapic_addr = DEFAULT_LAPIC;
    p->nioapics = 1;
    p->ioapic[0] = (struct ioapic_desc){DEFAULT_IOAPIC, 0, 0};
    for (unsigned i = 0; i < ISA_IRQS; i++)
        p->isa[i].gsi = i;
}
