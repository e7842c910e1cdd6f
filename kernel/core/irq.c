/* Device interrupt registry (mote/irq.h): GSI -> vector (routed by the arch code) -> handlers. */
#include <errno.h>

#include "mote/arch.h"
#include "mote/irq.h"
#include "mote/mm.h"
#include "mote/spinlock.h"
#include "mote/trap.h"

struct irq_action {
    irq_handler_fn fn;
    void *arg;
    struct irq_action *next;
};

#define MAX_GSI 256

static struct irq_action *actions[256];
static int16_t gsi_vector[MAX_GSI];
static bool gsi_level[MAX_GSI];
static spinlock_t irq_lock = SPINLOCK_INIT;
static bool enabled;

bool irq_available(void)
{
    return enabled;
}

void irq_enable_all(void);
void irq_enable_all(void)
{
    enabled = true;
    __asm__ volatile("sti");
}

int irq_register(unsigned gsi, bool level, bool active_low, irq_handler_fn handler, void *arg)
{
    if (gsi >= MAX_GSI || !handler)
        return -EINVAL;
    struct irq_action *a = kmalloc(sizeof(*a));
    if (!a)
        return -ENOMEM;
    uint64_t flags = spin_lock(&irq_lock);
    int vec = gsi_vector[gsi];
    if (vec && !(level && gsi_level[gsi])) {
        spin_unlock(&irq_lock, flags);
        kfree(a);
        return -EBUSY;
    }
    if (!vec) {
        vec = arch_irq_setup(gsi, level, active_low);
        if (vec < 0) {
            spin_unlock(&irq_lock, flags);
            kfree(a);
            return vec;
        }
        gsi_vector[gsi] = vec;
        gsi_level[gsi] = level;
    }
    a->fn = handler;
    a->arg = arg;
    a->next = actions[vec];
    actions[vec] = a;
    spin_unlock(&irq_lock, flags);
    return 0;
}

void irq_dispatch(unsigned vec)
{
    for (struct irq_action *a = actions[vec]; a; a = a->next)
        a->fn(a->arg);
}
