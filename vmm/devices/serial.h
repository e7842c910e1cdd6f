/* 8250/16550A UART (COM1, port 0x3f8, IRQ 4) as Linux's 8250 driver programs it. Output goes to
 * env->out_fd, input comes from env->in_fd through a reader thread into a 64-byte RX FIFO. */
#ifndef VMM_DEVICES_SERIAL_H
#define VMM_DEVICES_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/devices/device.h"

#define SERIAL_FIFO_SIZE 64

/* Register offsets (PC16550D datasheet, table 2). */
enum {
    UART_RBR_THR = 0, /* DLAB: divisor latch low */
    UART_IER = 1,     /* DLAB: divisor latch high */
    UART_IIR_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO_ENABLED 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

struct serial {
    pthread_mutex_t lock;
    pthread_cond_t room;            /* RX FIFO has space again */
    const struct dev_env *env;
    unsigned irq;
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thr_pending;               /* THR-empty interrupt armed, not yet read from IIR */
    bool irq_level;                 /* what the line is driven to now */
    uint8_t fifo[SERIAL_FIFO_SIZE];
    unsigned head, count;
};

extern const struct dev_ops serial_ops;

/* Resets the registers. Does not start the input thread. */
void serial_init(struct serial *s, const struct dev_env *env, unsigned irq);

/* Allocates and initialises a UART, and starts reading env->in_fd when it is a tty or pipe. */
void *serial_create(const struct dev_env *env);

/* Appends up to len bytes to the RX FIFO; returns how many fitted. */
size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len);

#endif
