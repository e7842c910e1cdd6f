/* Bootchart; see bootchart.h. */
#include "mote/bootchart.h"
#include "mote/printk.h"
#include "mote/x86.h"

#define MAX_STAGES 24

static struct {
    const char *name;
    uint64_t tsc;
} stages[MAX_STAGES];
static unsigned nstages;
static uint64_t t0;

void bootchart_init(uint64_t entry_tsc)
{
    t0 = entry_tsc;
}

void bootchart_stage(const char *name)
{
    if (nstages < MAX_STAGES) {
        stages[nstages].name = name;
        stages[nstages].tsc = rdtsc();
        nstages++;
    }
}

/* Hundredths of a millisecond since entry, from TSC ticks. */
static uint64_t centi_ms(uint64_t ticks, uint64_t khz)
{
    return khz ? ticks * 100 / khz : 0;
}

void bootchart_print(void)
{
    uint64_t khz = arch_tsc_khz();
    char buf[1536];
    int n = snprintf(buf, sizeof(buf), "Bootchart (TSC %lu kHz):\n", khz);
    uint64_t prev = t0;
    for (unsigned i = 0; i < nstages && n < (int)sizeof(buf); i++) {
        uint64_t at = centi_ms(stages[i].tsc - t0, khz);
        uint64_t delta = centi_ms(stages[i].tsc - prev, khz);
        n += snprintf(buf + n, sizeof(buf) - n, "\t%s: %lu.%02lums, (+%lu.%02lums)\n",
                      stages[i].name, at / 100, at % 100, delta / 100, delta % 100);
        prev = stages[i].tsc;
    }
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    console_write(buf, n);
}
