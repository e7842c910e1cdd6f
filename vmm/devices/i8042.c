/* i8042 controller subset; see i8042.h. Offsets are from port 0x60: 0 data, 4 status/command. */
#include "vmm/devices/i8042.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi/ports.h"
#include "vmm/metrics.h"

#define OFF_DATA (PORT_I8042_DATA - PORT_I8042_DATA)
#define OFF_CMD (PORT_I8042_CMD - PORT_I8042_DATA)

void i8042_init(struct i8042 *k, const struct dev_env *env)
{
    memset(k, 0, sizeof(*k));
    pthread_mutex_init(&k->lock, NULL);
    k->env = env;
    k->ctr = 0x01;      /* keyboard interrupt enabled */
    k->outp = 0x01;     /* reset line not asserted */
}

static void put_output(struct i8042 *k, uint8_t v)
{
    k->data = v;
    k->status |= I8042_STATUS_OBF;
}

/* Moves the next queued key byte into the output buffer and pulses IRQ 1. Lock held. */
static void kbd_next(struct i8042 *k)
{
    if (!k->kbd_count || (k->status & I8042_STATUS_OBF))
        return;
    put_output(k, k->kbd[k->kbd_head]);
    k->kbd_head = (k->kbd_head + 1) % I8042_KBD_BUF;
    k->kbd_count--;
    if (k->ctr & 0x01) {
        k->env->set_irq(k->env->ctx, I8042_KBD_IRQ, true);
        k->env->set_irq(k->env->ctx, I8042_KBD_IRQ, false);
    }
}

static int kbd_push(struct i8042 *k, uint16_t key)
{
    unsigned n = key & 0xff00 ? 2 : 1;
    if (k->kbd_count + n > I8042_KBD_BUF)
        return -ENOSPC;
    if (n == 2)
        k->kbd[(k->kbd_head + k->kbd_count++) % I8042_KBD_BUF] = key >> 8;
    k->kbd[(k->kbd_head + k->kbd_count++) % I8042_KBD_BUF] = key & 0xff;
    return 0;
}

int i8042_ctrl_alt_del(struct i8042 *k)
{
    int rc;
    pthread_mutex_lock(&k->lock);
    if (k->kbd_count + 4 > I8042_KBD_BUF) {
        rc = -ENOSPC;
    } else {
        kbd_push(k, I8042_KEY_CTRL);
        kbd_push(k, I8042_KEY_ALT);
        rc = kbd_push(k, I8042_KEY_DEL);
        kbd_next(k);
    }
    pthread_mutex_unlock(&k->lock);
    return rc;
}

static void command(struct i8042 *k, uint8_t cmd)
{
    k->status |= I8042_STATUS_CMD;
    switch (cmd) {
    case I8042_CMD_READ_CTR:
        put_output(k, k->ctr);
        break;
    case I8042_CMD_READ_OUTP:
        put_output(k, k->outp);
        break;
    case I8042_CMD_WRITE_CTR:
    case I8042_CMD_WRITE_OUTP:
        k->pending_cmd = cmd;
        break;
    case I8042_CMD_RESET:
        metric_inc(M_i8042__reset_count);
        k->env->stop(k->env->ctx, 0);
        break;
    default:
        break; /* no keyboard, no aux port: other commands are ignored */
    }
}

static void data_write(struct i8042 *k, uint8_t v)
{
    k->status &= ~I8042_STATUS_CMD;
    switch (k->pending_cmd) {
    case I8042_CMD_WRITE_CTR:
        k->ctr = v;
        if (v & I8042_STATUS_SYS)
            k->status |= I8042_STATUS_SYS;
        break;
    case I8042_CMD_WRITE_OUTP:
        k->outp = v;
        break;
    default:
        break; /* a byte for the (absent) keyboard */
    }
    k->pending_cmd = 0;
}

static void i8042_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    struct i8042 *k = dev;
    memset(data, 0, size);
    metric_inc(M_i8042__read_count);
    pthread_mutex_lock(&k->lock);
    if (off == OFF_CMD) {
        data[0] = k->status;
    } else if (off == OFF_DATA) {
        if (!(k->status & I8042_STATUS_OBF))
            metric_inc(M_i8042__missed_read_count);
        data[0] = k->data;
        k->status &= ~I8042_STATUS_OBF;
        kbd_next(k);
    }
    pthread_mutex_unlock(&k->lock);
}

static void i8042_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct i8042 *k = dev;
    metric_inc(M_i8042__write_count);
    pthread_mutex_lock(&k->lock);
    if (off == OFF_CMD)
        command(k, data[0]);
    else if (off == OFF_DATA)
        data_write(k, data[0]);
    pthread_mutex_unlock(&k->lock);
}

const struct dev_ops i8042_ops = { .read = i8042_read, .write = i8042_write };

void *i8042_create(const struct dev_env *env)
{
    struct i8042 *k = malloc(sizeof(*k));
    if (k)
        i8042_init(k, env);
    return k;
}
