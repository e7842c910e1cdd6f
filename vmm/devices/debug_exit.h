/* Debug-exit port 0x501 (QEMU's isa-debug-exit convention, 1 or 2 bytes wide): the value the
 * guest writes, 0-255, becomes motevm's exit status at once; 0x100 or more means the guest
 * kernel panicked: "guest kernel panic" is logged and motevm exits with 122. */
#ifndef VMM_DEVICES_DEBUG_EXIT_H
#define VMM_DEVICES_DEBUG_EXIT_H

#include "vmm/devices/device.h"

struct debug_exit {
    const struct dev_env *env;
};

extern const struct dev_ops debug_exit_ops;

void *debug_exit_create(const struct dev_env *env);

#endif
