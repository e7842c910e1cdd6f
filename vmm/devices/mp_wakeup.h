/* The ACPI 6.4 Multiprocessor Wakeup mailbox (§5.2.12.19), a 4 KiB MMIO page at
 * MP_WAKEUP_MAILBOX_ADDR that the MADT names. Layout (struct acpi_mp_wakeup_mailbox):
 *   0  u16 Command (0 noop, 1 wakeup)   2 u16 reserved   4 u32 ApicId   8 u64 WakeupVector
 *   16..2047 OS-reserved (plain storage)   2048..4095 firmware-reserved (reads 0)
 * Reads return what was last written. A write that covers Command (offset 0, 2 bytes or more)
 * acts on it once its bytes are stored: Command 1 asks env->wake_cpu to start the vCPU with
 * ApicId at WakeupVector; when that succeeds, Command reads 0 again (the acknowledgement the
 * spec describes). A refused request (unknown APIC id, the BSP, an AP already started, a vector
 * outside the identity-mapped first GiB, an unknown command) leaves Command as written, so the
 * guest's wait for the acknowledgement times out. Accesses that are not 1, 2, 4 or 8 bytes and
 * naturally aligned, that write part of Command, or that write the firmware half are ignored.
 * Every refusal is counted; the first few are logged. */
#ifndef VMM_DEVICES_MP_WAKEUP_H
#define VMM_DEVICES_MP_WAKEUP_H

#include <pthread.h>
#include <stdint.h>

#include "abi/acpi.h"
#include "vmm/boot/layout.h"
#include "vmm/devices/device.h"

#define MP_WAKEUP_OS_BYTES 2048
#define MP_WAKEUP_VECTOR_LIMIT (1ull << 30) /* the AP's identity map covers the first GiB */
#define MP_WAKEUP_LOG_MAX 16

struct mp_wakeup {
    pthread_mutex_t lock;
    const struct dev_env *env;
    uint8_t os[MP_WAKEUP_OS_BYTES]; /* Command, ApicId, WakeupVector, OS-reserved */
    unsigned long woken;            /* APs started */
    unsigned long refused;          /* wakeup requests not carried out */
    unsigned long bad_accesses;     /* odd widths, misaligned, partial Command, firmware half */
    unsigned logged;
};

extern const struct dev_ops mp_wakeup_ops;

void mp_wakeup_init(struct mp_wakeup *w, const struct dev_env *env);
void *mp_wakeup_create(const struct dev_env *env);

#endif
