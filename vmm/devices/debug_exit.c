/* Debug-exit port; see debug_exit.h. */
#include "vmm/devices/debug_exit.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

static void debug_exit_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct debug_exit *d = dev;
    unsigned value = data[0];

    if (off != 0)
        return; /* a byte write to 0x502 alone is not a status */
    if (size >= 2)
        value |= (unsigned)data[1] << 8;
    if (value >= 0x100) {
        log_msg(LOG_ERROR, "guest kernel panic");
        d->env->stop(d->env->ctx, EXIT_GUEST_PANIC);
        return;
    }
    d->env->stop(d->env->ctx, (int)value);
}

static void debug_exit_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    memset(data, 0xff, size);
}

const struct dev_ops debug_exit_ops = { .read = debug_exit_read, .write = debug_exit_write };

void *debug_exit_create(const struct dev_env *env)
{
    struct debug_exit *d = malloc(sizeof(*d));
    if (d)
        d->env = env;
    return d;
}
