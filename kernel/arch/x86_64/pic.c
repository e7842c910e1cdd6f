/* The legacy 8259 PICs: masked, so nothing the firmware left armed (SeaBIOS programs the PIT on
 * IRQ 0 with the master PIC at vector 8) reaches the CPU once the program runs with interrupts
 * enabled. Two port writes (OCW1) only: a full ICW re-initialisation would cost ten exits under
 * PVM. A spurious IRQ 7 would still arrive at the firmware's vector 15, which traps.c ignores.
 * Intel 8259A datasheet, "Operation Command Words". */
#include "mote/trap.h"
#include "mote/x86.h"

void arch_pic_mask(void)
{
    outb(0xa1, 0xff);
    outb(0x21, 0xff);
}
