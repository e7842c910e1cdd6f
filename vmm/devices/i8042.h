/* i8042 keyboard controller, ports 0x60-0x64, as much of it as a guest without a keyboard
 * touches: the status register, the controller command byte, and command 0xFE (pulse the reset
 * line), which stops the VM with status 0 as on Firecracker. i8042_ctrl_alt_del queues the
 * key presses of Ctrl-Alt-Del (scan code set 2, as Firecracker's SendCtrlAltDel) on IRQ 1. */
#ifndef VMM_DEVICES_I8042_H
#define VMM_DEVICES_I8042_H

#include <pthread.h>
#include <stdint.h>

#include "vmm/devices/device.h"

#define I8042_STATUS_OBF 0x01       /* output buffer full: data for the guest at 0x60 */
#define I8042_STATUS_SYS 0x04       /* system flag, set after self-test */
#define I8042_STATUS_CMD 0x08       /* last write was a command */
#define I8042_CMD_READ_CTR 0x20
#define I8042_CMD_WRITE_CTR 0x60
#define I8042_CMD_READ_OUTP 0xd0
#define I8042_CMD_WRITE_OUTP 0xd1
#define I8042_KBD_IRQ 1
#define I8042_KBD_BUF 16
/* Scan code set 2, as Firecracker's KEY_CTRL, KEY_ALT, KEY_DEL. */
#define I8042_KEY_CTRL 0x0014
#define I8042_KEY_ALT 0x0011
#define I8042_KEY_DEL 0xe071

struct i8042 {
    pthread_mutex_t lock;
    const struct dev_env *env;
    uint8_t status;
    uint8_t ctr;            /* controller configuration ("command") byte */
    uint8_t outp;           /* output port */
    uint8_t pending_cmd;    /* command waiting for its data byte, or 0 */
    uint8_t data;           /* output buffer, valid when status & OBF */
    uint8_t kbd[I8042_KBD_BUF];     /* key bytes waiting for the output buffer */
    unsigned kbd_head, kbd_count;
};

extern const struct dev_ops i8042_ops;

void i8042_init(struct i8042 *k, const struct dev_env *env);
void *i8042_create(const struct dev_env *env);

/* Queues Ctrl, Alt, Del key presses and raises IRQ 1 for the first byte. Any thread. Returns 0
 * or -ENOSPC when the guest has not read the previous ones. */
int i8042_ctrl_alt_del(struct i8042 *k);

#endif
