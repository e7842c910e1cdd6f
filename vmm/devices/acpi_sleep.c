/* ACPI sleep control/status register; see acpi_sleep.h. */
#include "vmm/devices/acpi_sleep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/acpi/acpi.h"
#include "vmm/log.h"

#define SLP_TYP_MASK 7u

static void acpi_sleep_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct acpi_sleep *s = dev;
    unsigned v = data[0];
    unsigned typ = (v >> ACPI_SLEEP_CTL_SLP_TYP_SHIFT) & SLP_TYP_MASK;

    if ((v & ACPI_SLEEP_CTL_SLP_EN) && typ == ACPI_S5_SLP_TYP) {
        log_msg(LOG_INFO, "guest powered off (ACPI S5)");
        s->env->stop(s->env->ctx, 0);
        return;
    }
    s->ignored++;
    if (v & ACPI_SLEEP_CTL_SLP_EN)
        log_msg(LOG_DEBUG, "ACPI sleep type %u requested: not supported, ignored", typ);
}

static void acpi_sleep_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    memset(data, 0, size);
}

static void acpi_sleep_report(void *dev, char *buf, size_t len)
{
    snprintf(buf, len, "ignored=%u", ((struct acpi_sleep *)dev)->ignored);
}

const struct dev_ops acpi_sleep_ops = { .read = acpi_sleep_read, .write = acpi_sleep_write,
                                        .report = acpi_sleep_report };

void *acpi_sleep_create(const struct dev_env *env)
{
    struct acpi_sleep *s = calloc(1, sizeof(*s));
    if (s)
        s->env = env;
    return s;
}
