/* Device discovery and the driver tables. Adding a device: its file in kernel.mk and one line in
 * a table below; nothing else changes. Order of discovery (and so of disk names): virtio-mmio
 * devices in command-line order, then PCI functions in bus order. */
#include "core/cmdline.h"
#include "drivers/drivers.h"
#include "drivers/virtio/mmio.h"
#include "mote/bootchart.h"
#include "mote/pci.h"
#include "mote/string.h"
#include "mote/virtio.h"

extern const struct virtio_driver virtio_blk_driver, virtio_rng_driver, virtio_net_driver;
extern const struct pci_driver virtio_pci_driver;

const struct virtio_driver *const virtio_drivers[] = {
    &virtio_blk_driver,
    &virtio_rng_driver,
    &virtio_net_driver,
    NULL,
};

const struct pci_driver *const pci_drivers[] = {
    &virtio_pci_driver,
    NULL,
};

void drivers_init(struct cmdline *cl)
{
    unsigned found = virtio_mmio_discover(cl);
    if (!cl->nopci && pci_enumerate()) {
        bootchart_stage("pci enumerated");
        found += pci_probe_all();
    }
    if (!found)
        return;
    /* virtio.poll: completions by polling even where interrupts work (tests, benchmarks). */
    bool poll = false;
    for (int i = 0; i < cl->nparams && !poll; i++)
        poll = str_starts(cl->params[i], "virtio.poll");
    if (poll && cmdline_param(cl, "virtio.poll")) {
        virtio_force_poll = true;
        cmdline_consume(cl, "virtio.poll");
    }
    for (unsigned i = 0; virtio_drivers[i]; i++)
        if (virtio_drivers[i]->params)
            virtio_drivers[i]->params(cl);
    bootchart_stage("drivers probe");
    virtio_probe_all();
    bootchart_stage("drivers loaded");
}
