/* Ending the VM (drivers/power.c). */
#ifndef MOTE_POWER_H
#define MOTE_POWER_H

#include "mote/types.h"

/* Status 0-255 is the program's exit status; POWER_PANIC means the kernel panicked. */
#define POWER_PANIC 0x100
__noreturn void power_off(int status);

#endif
