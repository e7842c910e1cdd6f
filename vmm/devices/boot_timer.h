/* Firecracker's boot timer: the guest writes 123 to port 0x3f0 (or, with --boot-timer, at offset
 * 0 of the first MMIO slot) when it has booted; motevm logs the time since its own start:
 * "Guest-boot-time = N us N ms, N CPU us N CPU ms" (info level). */
#ifndef VMM_DEVICES_BOOT_TIMER_H
#define VMM_DEVICES_BOOT_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/devices/device.h"

struct boot_timer {
    const struct dev_env *env;
    unsigned fired;         /* how many times the guest signalled */
    uint64_t wall_us;       /* last measurement */
    uint64_t cpu_us;
};

extern const struct dev_ops boot_timer_ops;

void boot_timer_init(struct boot_timer *t, const struct dev_env *env);
void *boot_timer_create(const struct dev_env *env);

/* The log line, without a trailing newline. */
void boot_timer_format(char *buf, size_t len, uint64_t wall_us, uint64_t cpu_us);

#endif
