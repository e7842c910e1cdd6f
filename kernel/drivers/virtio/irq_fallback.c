/* Until the interrupt code (mote/irq.h) is merged: weak stand-ins that say "no interrupts", so
 * drivers poll. The real definitions replace them at link time; delete this file then. */
#include <errno.h>

#include "mote/irq.h"

__attribute__((weak)) int irq_register(unsigned gsi, bool level, bool active_low,
                                       irq_handler_fn handler, void *arg)
{
    return -ENOSYS;
}

__attribute__((weak)) bool irq_available(void)
{
    return false;
}
