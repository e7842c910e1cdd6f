/* Bootchart: each boot stage's time since kernel entry, printed with --bootchart in OSv's form
 * ("stage: 1.23ms, (+0.45ms)"). Stages record a TSC value only; conversion to time happens when
 * the chart is printed, after the boot signal, so the chart costs the boot nothing. */
#ifndef MOTE_BOOTCHART_H
#define MOTE_BOOTCHART_H

#include "mote/types.h"

void bootchart_init(uint64_t entry_tsc);
void bootchart_stage(const char *name);
void bootchart_print(void);

/* arch: TSC frequency in kHz (hypervisor leaf, CPUID 0x15/0x16, else PIT calibration). */
uint64_t arch_tsc_khz(void);

#endif
