/* 8250 UART emulation; see serial.h. Register semantics from the PC16550D datasheet, reduced to
 * what a virtual line needs: the transmitter is always empty, there are no line errors. */
#include "vmm/devices/serial.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "abi/ports.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

#define SERIAL_INPUT_STACK (64 * 1024)

void serial_init(struct serial *s, const struct dev_env *env, unsigned irq)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->room, NULL);
    s->env = env;
    s->irq = irq;
    s->lcr = 0x03;  /* 8N1 */
    s->mcr = 0x08;  /* OUT2 */
    s->dll = 0x0c;  /* 9600 baud */
}

static bool loopback(const struct serial *s)
{
    return s->mcr & UART_MCR_LOOP;
}

/* Highest-priority pending interrupt, as IIR reports it (datasheet table 4). */
static uint8_t pending_iir(const struct serial *s)
{
    if ((s->ier & UART_IER_RDI) && s->count)
        return UART_IIR_RDI;
    if ((s->ier & UART_IER_THRI) && s->thr_pending)
        return UART_IIR_THRI;
    return UART_IIR_NO_INT;
}

/* Drives the line to match the pending conditions; called with the lock held. */
static void update_irq(struct serial *s)
{
    bool level = pending_iir(s) != UART_IIR_NO_INT;
    if (level != s->irq_level) {
        s->irq_level = level;
        s->env->set_irq(s->env->ctx, s->irq, level);
    }
}

static size_t fifo_push_locked(struct serial *s, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && s->count < SERIAL_FIFO_SIZE) {
        s->fifo[(s->head + s->count) % SERIAL_FIFO_SIZE] = buf[n++];
        s->count++;
    }
    return n;
}

size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len)
{
    pthread_mutex_lock(&s->lock);
    size_t n = fifo_push_locked(s, buf, len);
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void out_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* console gone: the guest keeps running, its output is dropped */
        p += n;
        len -= n;
    }
}

/* len bytes written to THR: to the console, or back into the FIFO in loopback mode. */
static void transmit_locked(struct serial *s, const uint8_t *p, size_t len)
{
    if (loopback(s))
        fifo_push_locked(s, p, len);
    else
        out_all(s->env->out_fd, p, len);
    s->thr_pending = true;
    update_irq(s);
}

static uint8_t read_reg(struct serial *s, unsigned reg)
{
    uint8_t v;
    switch (reg) {
    case UART_RBR_THR:
        if (s->lcr & UART_LCR_DLAB)
            return s->dll;
        if (!s->count)
            return 0;
        v = s->fifo[s->head];
        s->head = (s->head + 1) % SERIAL_FIFO_SIZE;
        if (--s->count == SERIAL_FIFO_SIZE - 1 || !s->count)
            pthread_cond_signal(&s->room);
        update_irq(s);
        return v;
    case UART_IER:
        return (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
    case UART_IIR_FCR:
        v = pending_iir(s);
        if (v == UART_IIR_THRI) { /* reading IIR acknowledges THR empty */
            s->thr_pending = false;
            update_irq(s);
        }
        return v | ((s->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO_ENABLED : 0);
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        return UART_LSR_THRE | UART_LSR_TEMT | (s->count ? UART_LSR_DR : 0);
    case UART_MSR:
        if (loopback(s)) /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
            return (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
                             ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
        return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    default:
        return s->scr;
    }
}

static void write_reg(struct serial *s, unsigned reg, uint8_t v)
{
    switch (reg) {
    case UART_RBR_THR:
        if (s->lcr & UART_LCR_DLAB)
            s->dll = v;
        else
            transmit_locked(s, &v, 1);
        break;
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            s->dlm = v;
            break;
        }
        /* Enabling THRI with an empty transmitter interrupts at once (Linux relies on it). */
        if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI))
            s->thr_pending = true;
        s->ier = v & 0x0f;
        update_irq(s);
        break;
    case UART_IIR_FCR:
        s->fcr = v;
        if (v & UART_FCR_CLEAR_RX) {
            s->head = s->count = 0;
            pthread_cond_signal(&s->room);
            update_irq(s);
        }
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        break;
    case UART_LSR:
    case UART_MSR:
        break; /* read-only here */
    default:
        s->scr = v;
        break;
    }
}

static void serial_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    struct serial *s = dev;
    metric_inc(M_uart__read_count);
    pthread_mutex_lock(&s->lock);
    data[0] = read_reg(s, off & 7);
    pthread_mutex_unlock(&s->lock);
    memset(data + 1, 0, size - 1);
}

static void serial_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct serial *s = dev;
    metric_inc(M_uart__write_count);
    pthread_mutex_lock(&s->lock);
    write_reg(s, off & 7, data[0]);
    pthread_mutex_unlock(&s->lock);
}

/* "rep outsb" to THR: the whole run reaches the console in one write(2). */
static void serial_write_rep(void *dev, uint64_t off, const uint8_t *data, unsigned size,
                             unsigned count)
{
    struct serial *s = dev;
    metric_add(M_uart__write_count, count);
    pthread_mutex_lock(&s->lock);
    if (off == UART_RBR_THR && size == 1 && !(s->lcr & UART_LCR_DLAB)) {
        transmit_locked(s, data, count);
    } else {
        for (unsigned i = 0; i < count; i++)
            write_reg(s, off & 7, data[(size_t)i * size]);
    }
    pthread_mutex_unlock(&s->lock);
}

const struct dev_ops serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .write_rep = serial_write_rep,
};

/* ---- console input ---- */

static struct termios saved_tio;

static void restore_tty(void)
{
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* Characters go to the guest as typed (no line editing, no echo); Ctrl-C still stops motevm. */
static void tty_raw_input(int fd)
{
    struct termios tio;
    if (fd != STDIN_FILENO || tcgetattr(fd, &saved_tio))
        return;
    tio = saved_tio;
    tio.c_lflag &= ~(ICANON | ECHO);
    tio.c_iflag &= ~(ICRNL | IXON);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (!tcsetattr(fd, TCSANOW, &tio))
        atexit(restore_tty);
}

static void *input_thread(void *arg)
{
    struct serial *s = arg;
    uint8_t buf[SERIAL_FIFO_SIZE];

    if (s->env->thread_init)
        s->env->thread_init();
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (s->count == SERIAL_FIFO_SIZE)
            pthread_cond_wait(&s->room, &s->lock);
        size_t room = SERIAL_FIFO_SIZE - s->count;
        pthread_mutex_unlock(&s->lock);

        ssize_t n = read(s->env->in_fd, buf, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL; /* EOF: the guest simply gets no more input */
        serial_rx_push(s, buf, n);
    }
}

void *serial_create(const struct dev_env *env)
{
    struct serial *s = malloc(sizeof(*s));
    struct stat st;
    pthread_attr_t attr;
    pthread_t t;

    if (!s)
        return NULL;
    serial_init(s, env, IRQ_COM1);
    if (env->in_fd < 0 || fstat(env->in_fd, &st) ||
        !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return s;
    if (isatty(env->in_fd))
        tty_raw_input(env->in_fd);
    else if (S_ISCHR(st.st_mode))
        return s; /* /dev/null and friends: nothing to read */
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, SERIAL_INPUT_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, input_thread, s))
        log_msg(LOG_WARN, "serial: no input thread, console input disabled");
    pthread_attr_destroy(&attr);
    return s;
}
