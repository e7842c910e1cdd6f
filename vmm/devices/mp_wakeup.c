/* ACPI Multiprocessor Wakeup mailbox; see mp_wakeup.h. Every field is guest-written and
 * untrusted: offsets and widths are checked before any byte is copied. */
#include "vmm/devices/mp_wakeup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

#define OFF_COMMAND 0
#define OFF_APIC_ID 4
#define OFF_VECTOR 8
_Static_assert(__builtin_offsetof(struct acpi_mp_wakeup_mailbox, apic_id) == OFF_APIC_ID, "");
_Static_assert(__builtin_offsetof(struct acpi_mp_wakeup_mailbox, wakeup_vector) == OFF_VECTOR,
               "");
_Static_assert(__builtin_offsetof(struct acpi_mp_wakeup_mailbox, firmware_reserved) ==
               MP_WAKEUP_OS_BYTES, "");

void mp_wakeup_init(struct mp_wakeup *w, const struct dev_env *env)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    w->env = env;
}

/* Logs one refusal, up to MP_WAKEUP_LOG_MAX of them; called with the lock held. */
static void complain(struct mp_wakeup *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void complain(struct mp_wakeup *w, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    if (w->logged > MP_WAKEUP_LOG_MAX)
        return;
    if (w->logged++ == MP_WAKEUP_LOG_MAX) {
        log_msg(LOG_WARN, "MP wakeup mailbox: further problems are counted, not logged");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(LOG_WARN, "MP wakeup mailbox: %s", msg);
}

static bool access_ok(uint64_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && off % size == 0 &&
           off < MP_WAKEUP_MAILBOX_SIZE && size <= MP_WAKEUP_MAILBOX_SIZE - off;
}

static void bad_access(struct mp_wakeup *w, const char *what, uint64_t off, unsigned size)
{
    w->bad_accesses++;
    complain(w, "%s of %u bytes at offset 0x%llx ignored", what, size, (unsigned long long)off);
}

static void mp_wakeup_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    struct mp_wakeup *w = dev;

    memset(data, 0, size);
    pthread_mutex_lock(&w->lock);
    if (!access_ok(off, size))
        bad_access(w, "read", off, size);
    else if (off < MP_WAKEUP_OS_BYTES)
        memcpy(data, w->os + off, size);
    pthread_mutex_unlock(&w->lock);
}

/* Command 1: wake the AP the mailbox names. Called with the lock held. */
static void wakeup(struct mp_wakeup *w)
{
    uint32_t apic_id;
    uint64_t vector;
    uint16_t done = ACPI_MP_WAKEUP_COMMAND_NOOP;

    memcpy(&apic_id, w->os + OFF_APIC_ID, sizeof(apic_id));
    memcpy(&vector, w->os + OFF_VECTOR, sizeof(vector));
    if (vector >= MP_WAKEUP_VECTOR_LIMIT) {
        w->refused++;
        complain(w, "APIC id %u: wakeup vector 0x%llx is outside the identity-mapped first GiB",
                 apic_id, (unsigned long long)vector);
        return;
    }
    int rc = w->env->wake_cpu ? w->env->wake_cpu(w->env->ctx, apic_id, vector) : -ENOSYS;
    if (rc) {
        w->refused++;
        complain(w, "APIC id %u: %s", apic_id,
                 rc == -ENOENT ? "no such vCPU" :
                 rc == -EBUSY ? "already running" : strerror(-rc));
        return;
    }
    w->woken++;
    log_msg(LOG_DEBUG, "MP wakeup: APIC id %u started at 0x%llx", apic_id,
            (unsigned long long)vector);
    memcpy(w->os + OFF_COMMAND, &done, sizeof(done));
}

static void mp_wakeup_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct mp_wakeup *w = dev;
    uint16_t cmd;

    pthread_mutex_lock(&w->lock);
    if (!access_ok(off, size)) {
        bad_access(w, "write", off, size);
    } else if (off >= MP_WAKEUP_OS_BYTES) {
        bad_access(w, "write to the firmware-reserved half", off, size);
    } else if (off == OFF_COMMAND + 1 || (off == OFF_COMMAND && size == 1)) {
        bad_access(w, "write to part of Command", off, size);
    } else {
        memcpy(w->os + off, data, size);
        if (off == OFF_COMMAND) {
            memcpy(&cmd, w->os + OFF_COMMAND, sizeof(cmd));
            if (cmd == ACPI_MP_WAKEUP_COMMAND_WAKEUP) {
                wakeup(w);
            } else if (cmd != ACPI_MP_WAKEUP_COMMAND_NOOP) {
                w->refused++;
                complain(w, "unknown command %u", cmd);
            }
        }
    }
    pthread_mutex_unlock(&w->lock);
}

static void mp_wakeup_report(void *dev, char *buf, size_t len)
{
    struct mp_wakeup *w = dev;
    pthread_mutex_lock(&w->lock);
    snprintf(buf, len, "woken=%lu refused=%lu bad_accesses=%lu", w->woken, w->refused,
             w->bad_accesses);
    pthread_mutex_unlock(&w->lock);
}

const struct dev_ops mp_wakeup_ops = { .read = mp_wakeup_read, .write = mp_wakeup_write,
                                       .report = mp_wakeup_report };

void *mp_wakeup_create(const struct dev_env *env)
{
    struct mp_wakeup *w = malloc(sizeof(*w));
    if (w)
        mp_wakeup_init(w, env);
    return w;
}
