/* The machine assumed when no firmware table says otherwise: one CPU, the standard LAPIC and
 * IOAPIC addresses, identity ISA routing. Pure C (host unit tests link it). */
#include "mote/platform.h"
#include "mote/string.h"

#define DEFAULT_LAPIC 0xfee00000
#define DEFAULT_IOAPIC 0xfec00000

#define ISA(i) [i] = {.gsi = i}

/* Copied whole: one rep movsb at boot instead of a loop (each instruction emulated under PVM). */
static const struct platform defaults = {
    .source = "default",
    .ncpus = 1,
    .lapic_addr = DEFAULT_LAPIC,
    .nioapics = 1,
    .ioapic = {{DEFAULT_IOAPIC, 0, 0}},
    .isa = {ISA(0), ISA(1), ISA(2), ISA(3), ISA(4), ISA(5), ISA(6), ISA(7), ISA(8), ISA(9),
            ISA(10), ISA(11), ISA(12), ISA(13), ISA(14), ISA(15)},
};
_Static_assert(ISA_IRQS == 16, "one ISA() a line");

void platform_defaults(struct platform *p)
{
    memcpy(p, &defaults, sizeof(*p));
}
