/* Device discovery (drivers/drivers.c). */
#ifndef DRIVERS_DRIVERS_H
#define DRIVERS_DRIVERS_H

struct cmdline;

/* virtio-mmio devices from the command line (their parameters consumed), PCI unless cl->nopci,
 * then every driver's probe. Call after paging_init (device windows are mapped then). */
void drivers_init(struct cmdline *cl);

#endif
