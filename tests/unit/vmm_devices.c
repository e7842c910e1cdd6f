/* motevm's devices without KVM: the 8250 UART (registers, DLAB, loopback, RX FIFO and the
 * interrupt line), i8042 reset, debug exit, boot timer, and the bus that dispatches to them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/ports.h"
#include "vmm/boot/layout.h"
#include "vmm/devices/boot_timer.h"
#include "vmm/devices/bus.h"
#include "vmm/devices/debug_exit.h"
#include "vmm/devices/devices.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/serial.h"
#include "vmm/devices/virtio_mmio.h"
#include "vmm/log.h"

/* What the devices did to the machine. */
static struct {
    int irq_changes;
    unsigned last_irq;
    bool level;
    int stops;
    int status;
} seen;

static void fake_set_irq(void *ctx, unsigned irq, bool level)
{
    seen.irq_changes++;
    seen.last_irq = irq;
    seen.level = level;
}

static void fake_stop(void *ctx, int status)
{
    if (seen.stops++ == 0) /* the first request wins, as in machine_stop */
        seen.status = status;
}

static int out_pipe[2];
static struct dev_env env;

static int setup(void **state)
{
    memset(&seen, 0, sizeof(seen));
    if (pipe(out_pipe))
        return -1;
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    env = (struct dev_env){ .set_irq = fake_set_irq, .stop = fake_stop, .in_fd = -1,
                            .out_fd = out_pipe[1] };
    clock_gettime(CLOCK_MONOTONIC, &env.start_wall);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &env.start_cpu);
    log_init(LOG_OFF, 2, NULL);
    return 0;
}

static int teardown(void **state)
{
    close(out_pipe[0]);
    close(out_pipe[1]);
    return 0;
}

static uint8_t rd(const struct dev_ops *ops, void *dev, unsigned off)
{
    uint8_t v;
    ops->read(dev, off, &v, 1);
    return v;
}

static void wr(const struct dev_ops *ops, void *dev, unsigned off, uint8_t v)
{
    ops->write(dev, off, &v, 1);
}

static ssize_t drain(char *buf, size_t len)
{
    ssize_t n = read(out_pipe[0], buf, len);
    return n < 0 ? 0 : n;
}

/* ---- serial ---- */

static void test_serial_output(void **state)
{
    struct serial s;
    char buf[64];
    serial_init(&s, &env, IRQ_COM1);
    wr(&serial_ops, &s, UART_RBR_THR, 'h');
    wr(&serial_ops, &s, UART_RBR_THR, 'i');
    assert_int_equal(drain(buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "hi", 2);
    assert_int_equal(rd(&serial_ops, &s, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(seen.irq_changes, 0); /* IER is 0: no interrupt */

    /* string I/O: one run, one write */
    serial_ops.write_rep(&s, UART_RBR_THR, (const uint8_t *)"hello, world\n", 1, 13);
    assert_int_equal(drain(buf, sizeof(buf)), 13);
    assert_memory_equal(buf, "hello, world\n", 13);
}

static void test_serial_bus_rep(void **state)
{
    struct bus b;
    struct serial s;
    char buf[64];
    memset(&b, 0, sizeof(b));
    serial_init(&s, &env, IRQ_COM1);
    assert_int_equal(bus_add(&b, BUS_PIO, PORT_COM1, 8, "serial", &serial_ops, &s), 0);
    bus_write(&b, BUS_PIO, PORT_COM1, (const uint8_t *)"abc", 1, 3);
    assert_int_equal(drain(buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "abc", 3);
    /* string I/O to another register falls back to one write per item */
    bus_write(&b, BUS_PIO, PORT_COM1 + UART_SCR, (const uint8_t *)"xyz", 1, 3);
    uint8_t v;
    bus_read(&b, BUS_PIO, PORT_COM1 + UART_SCR, &v, 1);
    assert_int_equal(v, 'z');
}

static void test_serial_dlab(void **state)
{
    struct serial s;
    char buf[8];
    serial_init(&s, &env, IRQ_COM1);
    assert_int_equal(rd(&serial_ops, &s, UART_LCR), 0x03);
    wr(&serial_ops, &s, UART_LCR, 0x83);                 /* DLAB on */
    wr(&serial_ops, &s, UART_RBR_THR, 0x01);             /* divisor low: 115200 baud */
    wr(&serial_ops, &s, UART_IER, 0x00);                 /* divisor high */
    assert_int_equal(rd(&serial_ops, &s, UART_RBR_THR), 0x01);
    assert_int_equal(rd(&serial_ops, &s, UART_IER), 0x00);
    assert_int_equal(drain(buf, sizeof(buf)), 0);        /* nothing transmitted */
    wr(&serial_ops, &s, UART_LCR, 0x03);                 /* DLAB off */
    assert_int_equal(rd(&serial_ops, &s, UART_IER), 0);  /* IER untouched */
    assert_int_equal(s.dll, 0x01);
    wr(&serial_ops, &s, UART_SCR, 0x5a);
    assert_int_equal(rd(&serial_ops, &s, UART_SCR), 0x5a);
}

static void test_serial_loopback(void **state)
{
    struct serial s;
    char buf[8];
    serial_init(&s, &env, IRQ_COM1);
    wr(&serial_ops, &s, UART_MCR, UART_MCR_LOOP | 0x0a);   /* loop, RTS, OUT2 */
    assert_int_equal(rd(&serial_ops, &s, UART_MSR), UART_MSR_CTS | UART_MSR_DCD);
    wr(&serial_ops, &s, UART_RBR_THR, 0x55);
    assert_int_equal(drain(buf, sizeof(buf)), 0);          /* not on the console */
    assert_int_equal(rd(&serial_ops, &s, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    assert_int_equal(rd(&serial_ops, &s, UART_RBR_THR), 0x55);
    assert_int_equal(rd(&serial_ops, &s, UART_LSR) & UART_LSR_DR, 0);
    wr(&serial_ops, &s, UART_MCR, 0x0b);
    assert_int_equal(rd(&serial_ops, &s, UART_MSR),
                     UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

static void test_serial_rx_irq(void **state)
{
    struct serial s;
    serial_init(&s, &env, IRQ_COM1);
    assert_int_equal(rd(&serial_ops, &s, UART_IIR_FCR), UART_IIR_NO_INT);

    assert_int_equal(serial_rx_push(&s, (const uint8_t *)"ab", 2), 2);
    assert_int_equal(seen.irq_changes, 0);              /* RDI not enabled yet */
    wr(&serial_ops, &s, UART_IER, UART_IER_RDI);
    assert_int_equal(seen.irq_changes, 1);
    assert_int_equal(seen.last_irq, 4);
    assert_true(seen.level);
    wr(&serial_ops, &s, UART_IIR_FCR, UART_FCR_ENABLE);
    assert_int_equal(rd(&serial_ops, &s, UART_IIR_FCR), UART_IIR_RDI | UART_IIR_FIFO_ENABLED);
    assert_int_equal(rd(&serial_ops, &s, UART_RBR_THR), 'a');
    assert_true(seen.level);                            /* still data: still raised */
    assert_int_equal(rd(&serial_ops, &s, UART_RBR_THR), 'b');
    assert_false(seen.level);                           /* empty: lowered */
    assert_int_equal(seen.irq_changes, 2);
    assert_int_equal(rd(&serial_ops, &s, UART_RBR_THR), 0);

    /* the FIFO holds 64 bytes */
    uint8_t big[100];
    memset(big, 'x', sizeof(big));
    assert_int_equal(serial_rx_push(&s, big, sizeof(big)), SERIAL_FIFO_SIZE);
    assert_true(seen.level);
    wr(&serial_ops, &s, UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
    assert_false(seen.level);
    assert_int_equal(rd(&serial_ops, &s, UART_LSR) & UART_LSR_DR, 0);
}

static void test_serial_thr_irq(void **state)
{
    struct serial s;
    char buf[8];
    serial_init(&s, &env, IRQ_COM1);
    wr(&serial_ops, &s, UART_IER, UART_IER_THRI);       /* empty transmitter: at once */
    assert_true(seen.level);
    assert_int_equal(rd(&serial_ops, &s, UART_IIR_FCR), UART_IIR_THRI);
    assert_false(seen.level);                           /* IIR read acknowledged it */
    assert_int_equal(rd(&serial_ops, &s, UART_IIR_FCR), UART_IIR_NO_INT);
    wr(&serial_ops, &s, UART_RBR_THR, 'x');             /* sent: empty again */
    assert_true(seen.level);
    wr(&serial_ops, &s, UART_IER, 0);
    assert_false(seen.level);
    drain(buf, sizeof(buf));
}

/* ---- i8042, debug exit, boot timer ---- */

static void test_i8042(void **state)
{
    struct i8042 k;
    i8042_init(&k, &env);
    const unsigned data = 0, cmd = 4;
    assert_int_equal(rd(&i8042_ops, &k, cmd), 0);           /* nothing to read */
    wr(&i8042_ops, &k, cmd, I8042_CMD_READ_CTR);
    assert_int_equal(rd(&i8042_ops, &k, cmd) & I8042_STATUS_OBF, I8042_STATUS_OBF);
    assert_int_equal(rd(&i8042_ops, &k, data), 0x01);
    assert_int_equal(rd(&i8042_ops, &k, cmd) & I8042_STATUS_OBF, 0);
    wr(&i8042_ops, &k, cmd, I8042_CMD_WRITE_CTR);
    wr(&i8042_ops, &k, data, 0x45);
    wr(&i8042_ops, &k, cmd, I8042_CMD_READ_CTR);
    assert_int_equal(rd(&i8042_ops, &k, data), 0x45);
    assert_int_equal(seen.stops, 0);
    wr(&i8042_ops, &k, cmd, I8042_CMD_RESET);
    assert_int_equal(seen.stops, 1);
    assert_int_equal(seen.status, 0);
}

/* SendCtrlAltDel: Ctrl, Alt, Del presses in scan code set 2, one byte per read, IRQ 1 pulsed
 * for each, and the bytes come after a pending command response. */
static void test_i8042_ctrl_alt_del(void **state)
{
    static const uint8_t keys[] = { 0x14, 0x11, 0xe0, 0x71 };
    struct i8042 k;
    i8042_init(&k, &env);
    const unsigned data = 0, cmd = 4;
    assert_int_equal(i8042_ctrl_alt_del(&k), 0);
    assert_int_equal(seen.last_irq, I8042_KBD_IRQ);
    assert_false(seen.level);                               /* pulsed: up, then down */
    for (size_t i = 0; i < sizeof(keys); i++) {
        assert_int_equal(rd(&i8042_ops, &k, cmd) & I8042_STATUS_OBF, I8042_STATUS_OBF);
        assert_int_equal(rd(&i8042_ops, &k, data), keys[i]);
    }
    assert_int_equal(seen.irq_changes, 2 * 4);
    assert_int_equal(rd(&i8042_ops, &k, cmd) & I8042_STATUS_OBF, 0);
    /* A guest that never reads: the queue fills, the call fails, nothing is lost silently. */
    for (int i = 0; i < I8042_KBD_BUF / 4; i++)
        i8042_ctrl_alt_del(&k);
    assert_int_equal(i8042_ctrl_alt_del(&k), -ENOSPC);
}

static void test_debug_exit(void **state)
{
    void *d = debug_exit_create(&env);
    uint8_t two[2] = { 42, 0 };
    debug_exit_ops.write(d, 0, two, 2);
    assert_int_equal(seen.stops, 1);
    assert_int_equal(seen.status, 42);

    memset(&seen, 0, sizeof(seen));
    uint8_t one = 7;
    debug_exit_ops.write(d, 0, &one, 1);
    assert_int_equal(seen.status, 7);

    memset(&seen, 0, sizeof(seen));
    uint8_t panic[2] = { 0x00, 0x01 };  /* 0x100: the guest kernel panicked */
    debug_exit_ops.write(d, 0, panic, 2);
    assert_int_equal(seen.status, EXIT_GUEST_PANIC);

    /* a status set first is not overridden by a later i8042 reset */
    memset(&seen, 0, sizeof(seen));
    struct i8042 k;
    i8042_init(&k, &env);
    debug_exit_ops.write(d, 0, two, 2);
    wr(&i8042_ops, &k, 4, I8042_CMD_RESET);
    assert_int_equal(seen.status, 42);
    uint8_t v;
    debug_exit_ops.read(d, 0, &v, 1);
    assert_int_equal(v, 0xff);
    free(d);
}

static void test_boot_timer(void **state)
{
    struct boot_timer t;
    char line[128];
    boot_timer_init(&t, &env);
    uint8_t v = 1;
    boot_timer_ops.write(&t, 0, &v, 1);
    assert_int_equal(t.fired, 0);                       /* only 123 counts */
    v = BOOT_TIMER_MAGIC;
    boot_timer_ops.write(&t, 1, &v, 1);
    assert_int_equal(t.fired, 0);                       /* only offset 0 */
    boot_timer_ops.write(&t, 0, &v, 1);
    assert_int_equal(t.fired, 1);
    assert_true(t.wall_us < 60 * 1000000ull);

    boot_timer_format(line, sizeof(line), 12345, 6789);
    assert_string_equal(line, "Guest-boot-time = 12345 us 12 ms, 6789 CPU us 6 CPU ms");
}

/* ---- bus and the device table ---- */

static void test_bus(void **state)
{
    struct bus b;
    struct boot_timer t;
    uint8_t v[4];
    memset(&b, 0, sizeof(b));
    boot_timer_init(&t, &env);
    assert_int_equal(bus_add(&b, BUS_PIO, 0x3f0, 1, "bt", &boot_timer_ops, &t), 0);
    assert_int_equal(bus_add(&b, BUS_PIO, 0x3f0, 1, "again", &boot_timer_ops, &t), -EEXIST);
    assert_int_equal(bus_add(&b, BUS_MMIO, 0x3f0, 1, "other space", &boot_timer_ops, &t), 0);

    bus_read(&b, BUS_PIO, 0x80, v, 4);
    assert_memory_equal(v, "\xff\xff\xff\xff", 4);
    bus_write(&b, BUS_PIO, 0x80, v, 1, 1);
    bus_write(&b, BUS_MMIO, 0x1000, v, 4, 1);
    bus_read(&b, BUS_PIO, 0x3f0, v, 2);                 /* straddles the end: unknown */
    assert_int_equal(atomic_load(&b.unknown_reads[BUS_PIO]), 2);
    assert_int_equal(atomic_load(&b.unknown_writes[BUS_PIO]), 1);
    assert_int_equal(atomic_load(&b.unknown_writes[BUS_MMIO]), 1);
}

static void test_device_table(void **state)
{
    struct bus b;
    const char *failed = "x";
    memset(&b, 0, sizeof(b));
    struct devices_options none = { .boot_timer_mmio = false }, timer = { .boot_timer_mmio = true };
    struct devices_options acpi = { .acpi = true };
    assert_int_equal(devices_attach(&b, &env, &none, &failed), 0);
    assert_null(failed);
    assert_int_equal(b.n, 4);
    memset(&b, 0, sizeof(b));
    assert_int_equal(devices_attach(&b, &env, &acpi, &failed), 0);
    assert_int_equal(b.n, 6);           /* + ACPI sleep register, MP wakeup mailbox */
    memset(&b, 0, sizeof(b));
    assert_int_equal(devices_attach(&b, &env, &timer, &failed), 0);
    assert_int_equal(b.n, 5);

    /* the MMIO boot timer answers at the first MMIO slot */
    uint8_t v = BOOT_TIMER_MAGIC;
    bus_write(&b, BUS_MMIO, BOOT_TIMER_MMIO_ADDR, &v, 1, 1);
    assert_int_equal(atomic_load(&b.unknown_writes[BUS_MMIO]), 0);
    /* debug exit through the bus, 16-bit */
    uint8_t st[2] = { 3, 0 };
    bus_write(&b, BUS_PIO, PORT_DEBUG_EXIT, st, 2, 1);
    assert_int_equal(seen.status, 3);
}

/* ---- virtio-mmio slots, the command-line announcement, attach ---- */

static struct drive_config test_drives[20];

static struct devices_options virtio_opts(unsigned ndrives, bool rng, bool timer)
{
    static char *ids[20];
    for (unsigned i = 0; i < 20; i++) {
        if (!ids[i]) {
            ids[i] = malloc(8);
            snprintf(ids[i], 8, "d%u", i);
        }
        test_drives[i] = (struct drive_config){ .id = ids[i], .path = "/dev/null" };
    }
    return (struct devices_options){ .boot_timer_mmio = timer, .drives = test_drives,
                                     .ndrives = ndrives, .rng = rng, .virtio_inline = true };
}

static void test_virtio_slots(void **state)
{
    struct virtio_slot s[VIRTIO_SLOTS_MAX];
    struct devices_options o = virtio_opts(3, true, false);
    test_drives[2].root = true;

    assert_int_equal(devices_virtio_slots(&o, s), 4);
    assert_string_equal(s[0].name, "virtio-blk");
    assert_int_equal(s[0].base, 0xd0000000);
    assert_int_equal(s[0].irq, 5);
    assert_int_equal(s[2].index, 2);
    assert_string_equal(s[3].name, "virtio-rng");
    assert_int_equal(s[3].base, 0xd0003000);
    assert_int_equal(s[3].irq, 8);
    /* the root drive goes first (/dev/vda), the others keep their order */
    assert_string_equal(devices_drive(&o, 0)->id, "d2");
    assert_string_equal(devices_drive(&o, 1)->id, "d0");
    assert_string_equal(devices_drive(&o, 2)->id, "d1");

    /* the boot timer takes the first slot, not an IRQ */
    o.boot_timer_mmio = true;
    assert_int_equal(devices_virtio_slots(&o, s), 4);
    assert_int_equal(s[0].base, 0xd0001000);
    assert_int_equal(s[0].irq, 5);

    /* IRQs 5..23: 19 devices at most */
    o = virtio_opts(19, false, false);
    assert_int_equal(devices_virtio_slots(&o, s), 19);
    assert_int_equal(s[18].irq, 23);
    o.rng = true;
    assert_int_equal(devices_virtio_slots(&o, s), -ENOSPC);
}

static void test_virtio_cmdline(void **state)
{
    char line[CMDLINE_MAX];
    struct devices_options o = virtio_opts(2, true, true);

    int n = devices_cmdline(&o, "console=ttyS0", line, sizeof(line));
    assert_int_equal(n, (int)strlen(line));
    assert_string_equal(line, "console=ttyS0 virtio_mmio.device=4K@0xd0001000:5 "
                              "virtio_mmio.device=4K@0xd0002000:6 "
                              "virtio_mmio.device=4K@0xd0003000:7");
    test_drives[1].root = true;
    test_drives[1].read_only = true;
    o.rng = false;
    o.boot_timer_mmio = false;
    devices_cmdline(&o, "", line, sizeof(line));
    assert_string_equal(line, "root=/dev/vda ro virtio_mmio.device=4K@0xd0000000:5 "
                              "virtio_mmio.device=4K@0xd0001000:6");
    test_drives[1].read_only = false;
    test_drives[1].partuuid = "0eaa91a0-01";
    devices_cmdline(&o, "x", line, sizeof(line));
    assert_string_equal(line, "x root=PARTUUID=0eaa91a0-01 rw virtio_mmio.device=4K@0xd0000000:5 "
                              "virtio_mmio.device=4K@0xd0001000:6");
    /* no devices: the command line as it was */
    o = virtio_opts(0, false, false);
    assert_int_equal(devices_cmdline(&o, "abc", line, sizeof(line)), 3);

    /* 2047 characters at most: an exact fit, then one byte too many */
    o = virtio_opts(1, false, false);
    const char *dev = " virtio_mmio.device=4K@0xd0000000:5";
    char base[CMDLINE_MAX];
    size_t room = CMDLINE_MAX - 1 - strlen(dev);
    memset(base, 'a', room);
    base[room] = '\0';
    assert_int_equal(devices_cmdline(&o, base, line, sizeof(line)), CMDLINE_MAX - 1);
    base[room] = 'a';
    base[room + 1] = '\0';
    assert_int_equal(devices_cmdline(&o, base, line, sizeof(line)), -E2BIG);
}

static void test_virtio_attach(void **state)
{
    char img[] = "/tmp/vmm_devices_imgXXXXXX";
    int fd = mkstemp(img);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 8192), 0);
    close(fd);
    struct guest_mem mem = { calloc(1, 1 << 20), 1 << 20 };
    env.mem = &mem;

    struct bus b;
    const char *failed = "x";
    struct devices_options o = virtio_opts(1, true, true);
    test_drives[0].path = img;
    memset(&b, 0, sizeof(b));
    assert_int_equal(devices_attach(&b, &env, &o, &failed), 0);
    assert_null(failed);
    assert_int_equal(b.n, 7);
    uint32_t v;
    bus_read(&b, BUS_MMIO, 0xd0001000 + VIRTIO_MMIO_MAGIC_VALUE, (uint8_t *)&v, 4);
    assert_int_equal(v, VIRTIO_MMIO_MAGIC);
    bus_read(&b, BUS_MMIO, 0xd0001000 + VIRTIO_MMIO_DEVICE_ID, (uint8_t *)&v, 4);
    assert_int_equal(v, VIRTIO_ID_BLOCK);
    bus_read(&b, BUS_MMIO, 0xd0001000 + VIRTIO_MMIO_CONFIG, (uint8_t *)&v, 4);
    assert_int_equal(v, 16); /* 8 KiB */
    bus_read(&b, BUS_MMIO, 0xd0002000 + VIRTIO_MMIO_DEVICE_ID, (uint8_t *)&v, 4);
    assert_int_equal(v, VIRTIO_ID_RNG);
    bus_read(&b, BUS_MMIO, 0xd0003000, (uint8_t *)&v, 4);
    assert_int_equal(atomic_load(&b.unknown_reads[BUS_MMIO]), 1);

    /* a drive that cannot be opened names the device */
    test_drives[0].path = "/nonexistent/disk.img";
    memset(&b, 0, sizeof(b));
    assert_int_equal(devices_attach(&b, &env, &o, &failed), -ENOENT);
    assert_string_equal(failed, "virtio-blk");
    unlink(img);
    free(mem.host);
}

/* Network interfaces: after the drives and before the entropy device (Firecracker's order);
 * each takes its tap fd from the options (a socket here) and fails without one. */
static void test_virtio_net_attach(void **state)
{
    struct net_config nets[2] = { { .id = "eth0", .host_dev = "tap0", .has_mac = true,
                                    .mac = { 6, 0, 0xac, 0x10, 0, 2 } },
                                  { .id = "eth1", .host_dev = "tap1" } };
    int sv[2][2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv[i]), 0);
    int fds[2] = { sv[0][0], sv[1][0] };
    struct guest_mem mem = { calloc(1, 1 << 20), 1 << 20 };
    env.mem = &mem;
    struct devices_options o = virtio_opts(1, true, false);
    test_drives[0].path = "/dev/null";
    o.nets = nets;
    o.nnets = 2;

    struct virtio_slot s[VIRTIO_SLOTS_MAX];
    assert_int_equal(devices_virtio_slots(&o, s), 4);
    assert_string_equal(s[0].name, "virtio-blk");
    assert_string_equal(s[1].name, "virtio-net");
    assert_string_equal(s[2].name, "virtio-net");
    assert_int_equal(s[2].index, 1);
    assert_string_equal(s[3].name, "virtio-rng");

    struct bus b;
    const char *failed = "x";
    memset(&b, 0, sizeof(b));
    assert_int_equal(devices_attach(&b, &env, &o, &failed), -EBADF); /* no taps yet */
    assert_string_equal(failed, "virtio-net");
    o.tap_fds = fds;
    memset(&b, 0, sizeof(b));
    assert_int_equal(devices_attach(&b, &env, &o, &failed), 0);
    uint32_t v;
    bus_read(&b, BUS_MMIO, 0xd0001000 + VIRTIO_MMIO_DEVICE_ID, (uint8_t *)&v, 4);
    assert_int_equal(v, VIRTIO_ID_NET);
    bus_read(&b, BUS_MMIO, 0xd0001000 + VIRTIO_MMIO_CONFIG, (uint8_t *)&v, 4);
    assert_int_equal(v, 0x10ac0006);
    bus_read(&b, BUS_MMIO, 0xd0003000 + VIRTIO_MMIO_DEVICE_ID, (uint8_t *)&v, 4);
    assert_int_equal(v, VIRTIO_ID_RNG);
    for (int i = 0; i < 2; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
    free(mem.host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serial_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_bus_rep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_dlab, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_rx_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_thr_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_i8042, setup, teardown),
        cmocka_unit_test_setup_teardown(test_i8042_ctrl_alt_del, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debug_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtio_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtio_cmdline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtio_attach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtio_net_attach, setup, teardown),
    };
    return cmocka_run_group_tests_name("vmm_devices", tests, NULL, NULL);
}
