/* The device table. Adding a device: write devices/<name>.c with its ops and create function,
 * then add one line below. Neither the bus nor the run loop changes. */
#include "vmm/devices/devices.h"

#include <errno.h>
#include <stddef.h>

#include "abi/ports.h"
#include "vmm/boot/layout.h"
#include "vmm/devices/acpi_sleep.h"
#include "vmm/devices/boot_timer.h"
#include "vmm/devices/debug_exit.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/mp_wakeup.h"
#include "vmm/devices/serial.h"

struct device_desc {
    const char *name;
    enum bus_space space;
    uint64_t base, len;
    const struct dev_ops *ops;
    void *(*create)(const struct dev_env *env);
    bool (*wanted)(const struct devices_options *o);    /* NULL: always */
};

static bool want_boot_timer_mmio(const struct devices_options *o)
{
    return o->boot_timer_mmio;
}

static bool want_acpi(const struct devices_options *o)
{
    return o->acpi;
}

static const struct device_desc device_table[] = {
    { "serial",          BUS_PIO,  PORT_COM1,            8, &serial_ops,     serial_create,     NULL },
    { "i8042",           BUS_PIO,  PORT_I8042_DATA,      5, &i8042_ops,      i8042_create,      NULL },
    { "boot-timer",      BUS_PIO,  PORT_BOOT_TIMER,      1, &boot_timer_ops, boot_timer_create, NULL },
    { "debug-exit",      BUS_PIO,  PORT_DEBUG_EXIT,      2, &debug_exit_ops, debug_exit_create, NULL },
    { "boot-timer-mmio", BUS_MMIO, BOOT_TIMER_MMIO_ADDR, MMIO_SLOT_SIZE, &boot_timer_ops,
      boot_timer_create, want_boot_timer_mmio },
    { "acpi-sleep",      BUS_PIO,  ACPI_SLEEP_PORT,      1, &acpi_sleep_ops, acpi_sleep_create, want_acpi },
    { "mp-wakeup",       BUS_MMIO, MP_WAKEUP_MAILBOX_ADDR, MP_WAKEUP_MAILBOX_SIZE, &mp_wakeup_ops,
      mp_wakeup_create, want_acpi },
};

int devices_attach(struct bus *b, const struct dev_env *env, const struct devices_options *o,
                   const char **failed)
{
    for (size_t i = 0; i < sizeof(device_table) / sizeof(device_table[0]); i++) {
        const struct device_desc *d = &device_table[i];
        if (d->wanted && !d->wanted(o))
            continue;
        *failed = d->name;
        void *dev = d->create(env);
        if (!dev)
            return -ENOMEM;
        int rc = bus_add(b, d->space, d->base, d->len, d->name, d->ops, dev);
        if (rc)
            return rc;
    }
    *failed = NULL;
    return 0;
}
