/* virtio-blk (vmm/devices/virtio_blk.c) on a temporary image file, driven by a fake guest
 * through virtio-mmio: data written through the ring lands in the file at the right offsets
 * and reads back, flush, read-only drives, GET_ID, odd file sizes, out-of-range and malformed
 * requests. Virtio 1.2 §5.2. Also a microbenchmark of requests/s (printed, not asserted). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/virtio_guest.h"
#include "vmm/devices/virtio_blk.h"

#define BASE 0xd0000000ull
#define IRQ 5
#define QN 256
#define R 0
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define F(bit) (1ull << (bit))

static char image[] = "/tmp/vmm_virtio_blkXXXXXX";
static struct virtio_blk blk;
static struct fake_vq fq;
static uint16_t next_desc;

static void make_image(off_t size)
{
    int fd = mkstemp(image);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
}

static void open_blk(bool ro, const char *id)
{
    struct virtio_blk_params p = { image, id, ro, BASE, IRQ, false };
    assert_int_equal(virtio_blk_open(&blk, &fg.env, &p), 0);
    fvq_init(&fq, 0, QN);
    next_desc = 0;
    drv_init(&blk.mmio, ~0ull, &fq);
}

static int setup(void **state)
{
    if (fg_setup(state))
        return -1;
    strcpy(image, "/tmp/vmm_virtio_blkXXXXXX");
    make_image(1 << 20);
    open_blk(false, "rootfs");
    return 0;
}

static int teardown(void **state)
{
    virtio_blk_close(&blk);
    unlink(image);
    return fg_teardown(state);
}

/* A request in the guest: header, data buffers, status; returns the status byte's address. */
struct seg {
    gpa_t addr;
    uint32_t len;
    uint16_t flags;
};

static uint16_t chain(const struct seg *s, unsigned n)
{
    uint16_t head = next_desc;
    for (unsigned i = 0; i < n; i++) {
        uint16_t d = (uint16_t)((next_desc + i) % QN);
        fvq_desc(&fq, d, s[i].addr, s[i].len, (uint16_t)(s[i].flags | (i + 1 < n ? NX : 0)),
                 (uint16_t)((d + 1) % QN));
    }
    next_desc = (uint16_t)((next_desc + n) % QN);
    fvq_publish(&fq, head);
    return head;
}

static gpa_t header(uint32_t type, uint64_t sector)
{
    gpa_t h = fg_alloc(16);
    struct virtio_blk_req_hdr hdr = { type, 0, sector };
    memcpy(fg_ptr(h, 16), &hdr, 16);
    return h;
}

/* Submits header + one data buffer (flags) + status; returns the status byte. */
static uint8_t request(uint32_t type, uint64_t sector, gpa_t data, uint32_t len, uint16_t dflags,
                       uint32_t *used_len)
{
    gpa_t st = fg_alloc(1);
    *(uint8_t *)fg_ptr(st, 1) = 0xee;
    struct seg s[3] = { { header(type, sector), 16, R }, { data, len, dflags }, { st, 1, W } };
    uint16_t before = fvq_used_idx(&fq);
    if (len)
        chain(s, 3);
    else
        chain((struct seg[2]){ s[0], s[2] }, 2);
    drv_notify(&blk.mmio, 0);
    assert_int_equal(fvq_used_idx(&fq), (uint16_t)(before + 1));
    if (used_len)
        *used_len = fvq_used_elem(&fq, before).len;
    return *(uint8_t *)fg_ptr(st, 1);
}

static void file_read(off_t off, void *buf, size_t len)
{
    int fd = open(image, O_RDONLY);
    assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
    close(fd);
}

static void test_config_and_features(void **state)
{
    struct virtio_mmio *v = &blk.mmio;
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    assert_int_equal(mmio_rd_n(v, VIRTIO_MMIO_CONFIG, 8), 2048); /* 1 MiB in sectors */
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_CONFIG + 8), VIRTIO_BLK_SIZE_MAX);
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_CONFIG + 12), VIRTIO_BLK_SEG_MAX);
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_CONFIG + 0x14), 512);
    uint64_t f = v->device_features;
    uint64_t want = F(VIRTIO_BLK_F_SIZE_MAX) | F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) |
                    F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX) |
                    F(VIRTIO_F_INDIRECT_DESC);
    assert_int_equal(f, want);
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_BLK_QUEUE_SIZE);
}

/* Media change: the new file's capacity in the config space, ConfigGeneration bumped, the
 * config-change interrupt raised, and requests reach the new file. */
static void test_change_medium(void **state)
{
    struct virtio_mmio *v = &blk.mmio;
    char other[] = "/tmp/vmm_virtio_blk2XXXXXX";
    int fd = mkstemp(other);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 3 << 20), 0);
    close(fd);
    uint32_t gen = mmio_rd(v, VIRTIO_MMIO_CONFIG_GENERATION);
    assert_int_equal(virtio_blk_change_medium(&blk, "/nonexistent/disk"), -ENOENT);
    assert_int_equal(mmio_rd_n(v, VIRTIO_MMIO_CONFIG, 8), 2048);    /* the old one stays */
    assert_int_equal(virtio_blk_change_medium(&blk, other), 0);
    assert_int_equal(mmio_rd_n(v, VIRTIO_MMIO_CONFIG, 8), 6144);
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
    assert_true(mmio_rd(v, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
    gpa_t buf = fg_alloc(512);
    memset(fg_ptr(buf, 512), 0x5a, 512);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 4096, buf, 512, R, NULL), VIRTIO_BLK_S_OK);
    uint8_t back[512];
    fd = open(other, O_RDONLY);
    assert_int_equal(pread(fd, back, 512, 4096 * 512ll), 512);
    close(fd);
    assert_int_equal(back[0], 0x5a);
    unlink(other);
}

static void test_write_lands_in_file(void **state)
{
    gpa_t d = fg_alloc(4096);
    uint8_t *p = fg_ptr(d, 4096), back[4096];
    for (int i = 0; i < 4096; i++)
        p[i] = (uint8_t)(i * 7 + 3);
    uint32_t used;
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 5, d, 4096, R, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 1);
    file_read(5 * 512, back, 4096);
    assert_memory_equal(back, p, 4096);
    file_read(4 * 512, back, 512); /* the sector before is untouched */
    for (int i = 0; i < 512; i++)
        assert_int_equal(back[i], 0);

    /* read it back through the ring */
    gpa_t r = fg_alloc(4096);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 5, r, 4096, W, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 4097);
    assert_memory_equal(fg_ptr(r, 4096), p, 4096);

    /* last sector of the disk */
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 2047, d, 512, R, NULL), VIRTIO_BLK_S_OK);
    file_read(2047 * 512, back, 512);
    assert_memory_equal(back, p, 512);
}

/* Any layout (VERSION_1 implies it): header split in two, data over three buffers, the
 * status byte sharing a buffer with the end of the data. */
static void test_scattered_request(void **state)
{
    gpa_t h = header(VIRTIO_BLK_T_OUT, 10);
    gpa_t a = fg_alloc(1000), b = fg_alloc(24), c = fg_alloc(512);
    uint8_t *pa = fg_ptr(a, 1000), *pb = fg_ptr(b, 24), *pc = fg_ptr(c, 512), back[1536];
    memset(pa, 'a', 1000);
    memset(pb, 'b', 24);
    memset(pc, 'c', 512);
    gpa_t st = fg_alloc(1);
    struct seg s[6] = { { h, 10, R }, { h + 10, 6, R }, { a, 1000, R },
                        { b, 24, R }, { c, 512, R },    { st, 1, W } };
    chain(s, 6);
    drv_notify(&blk.mmio, 0);
    assert_int_equal(*(uint8_t *)fg_ptr(st, 1), VIRTIO_BLK_S_OK);
    file_read(10 * 512, back, 1536);
    assert_memory_equal(back, pa, 1000);
    assert_memory_equal(back + 1000, pb, 24);
    assert_memory_equal(back + 1024, pc, 512);

    /* read: data and status in one writable buffer of 513 bytes */
    gpa_t rs = fg_alloc(513);
    struct seg r[2] = { { header(VIRTIO_BLK_T_IN, 11), 16, R }, { rs, 513, W } };
    chain(r, 2);
    drv_notify(&blk.mmio, 0);
    assert_memory_equal(fg_ptr(rs, 512), back + 512, 512);
    assert_int_equal(*(uint8_t *)fg_ptr(rs + 512, 1), VIRTIO_BLK_S_OK);
}

static void test_indirect_request(void **state)
{
    gpa_t t = fg_alloc(3 * 16), d = fg_alloc(512), st = fg_alloc(1);
    memset(fg_ptr(d, 512), 0x5a, 512);
    struct virtq_desc table[3] = { { header(VIRTIO_BLK_T_OUT, 1), 16, NX, 1 },
                                   { d, 512, NX, 2 },
                                   { st, 1, W, 0 } };
    memcpy(fg_ptr(t, sizeof(table)), table, sizeof(table));
    fvq_desc(&fq, 0, t, sizeof(table), VIRTQ_DESC_F_INDIRECT, 0);
    fvq_publish(&fq, 0);
    drv_notify(&blk.mmio, 0);
    assert_int_equal(*(uint8_t *)fg_ptr(st, 1), VIRTIO_BLK_S_OK);
    uint8_t back[512];
    file_read(512, back, 512);
    assert_memory_equal(back, fg_ptr(d, 512), 512);
}

static void test_flush(void **state)
{
    uint32_t used;
    assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 1);
}

static void test_get_id(void **state)
{
    gpa_t d = fg_alloc(20);
    memset(fg_ptr(d, 20), 0xff, 20);
    uint32_t used;
    assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, d, 20, W, &used), VIRTIO_BLK_S_OK);
    assert_int_equal(used, 21);
    assert_memory_equal(fg_ptr(d, 20), "rootfs\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);

    /* an id of 20 characters or more: the first 20, no NUL */
    virtio_blk_close(&blk);
    open_blk(false, "abcdefghijklmnopqrstuvwxyz");
    assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, d, 20, W, NULL), VIRTIO_BLK_S_OK);
    assert_memory_equal(fg_ptr(d, 20), "abcdefghijklmnopqrst", 20);
}

static void test_read_only(void **state)
{
    gpa_t d = fg_alloc(512);
    memset(fg_ptr(d, 512), 0x77, 512);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, d, 512, R, NULL), VIRTIO_BLK_S_OK);
    virtio_blk_close(&blk);
    open_blk(true, "ro");
    assert_true(blk.mmio.device_features & F(VIRTIO_BLK_F_RO));

    gpa_t e = fg_alloc(512);
    memset(fg_ptr(e, 512), 0x11, 512);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, e, 512, R, NULL), VIRTIO_BLK_S_IOERR);
    uint8_t back[512];
    file_read(0, back, 512);
    assert_memory_equal(back, fg_ptr(d, 512), 512); /* unchanged */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, e, 512, W, NULL), VIRTIO_BLK_S_OK);
    assert_memory_equal(fg_ptr(e, 512), back, 512);
    assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
    assert_int_equal(blk.ioerr, 1);
}

static void test_odd_sizes(void **state)
{
    virtio_blk_close(&blk);
    assert_int_equal(truncate(image, 1000), 0); /* one whole sector and 488 bytes */
    open_blk(false, "odd");
    assert_int_equal(mmio_rd_n(&blk.mmio, VIRTIO_MMIO_CONFIG, 8), 1);
    gpa_t d = fg_alloc(1024);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, d, 512, W, NULL), VIRTIO_BLK_S_OK);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 1, d, 512, W, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, d, 1024, W, NULL), VIRTIO_BLK_S_IOERR);

    virtio_blk_close(&blk);
    assert_int_equal(truncate(image, 0), 0); /* empty image: capacity 0 */
    open_blk(false, "empty");
    assert_int_equal(mmio_rd_n(&blk.mmio, VIRTIO_MMIO_CONFIG, 8), 0);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, d, 512, W, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, d, 0, W, NULL), VIRTIO_BLK_S_OK);
}

static void test_bad_requests(void **state)
{
    gpa_t d = fg_alloc(1024);
    uint32_t used;
    /* out of range: at the end, past it, and a sector number that overflows * 512 */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 2048, d, 512, W, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 2047, d, 1024, W, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 2, d, 512, R, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_IN, UINT64_MAX, d, 512, W, NULL), VIRTIO_BLK_S_IOERR);
    /* not a whole number of sectors */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, d, 100, W, &used), VIRTIO_BLK_S_IOERR);
    assert_int_equal(used, 1);
    /* data in the wrong direction: readable data for a read, writable data for a write */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, d, 512, R, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, d, 512, W, NULL), VIRTIO_BLK_S_IOERR);
    /* unknown types */
    assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, d, 16, R, NULL), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(request(0xdead, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(blk.unsupp, 2);
    assert_false(virtio_mmio_needs_reset(&blk.mmio));
}

/* Chains a block device cannot answer: the device needs a reset, motevm carries on. */
static void test_malformed_needs_reset(void **state)
{
    /* header in a device-writable buffer: no readable header, nowhere safe to answer */
    gpa_t h = header(VIRTIO_BLK_T_IN, 0), st = fg_alloc(1);
    chain((struct seg[2]){ { h, 16, W }, { st, 1, W } }, 2);
    drv_notify(&blk.mmio, 0);
    assert_true(virtio_mmio_needs_reset(&blk.mmio));
    assert_non_null(strstr(blk.mmio.queues[0].fault, "16-byte header"));
    assert_int_equal(fg_irq_edges(IRQ), 1); /* the config interrupt */
    assert_int_equal(mmio_rd(&blk.mmio, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);

    /* no status byte (everything readable) */
    virtio_blk_close(&blk);
    open_blk(false, "x");
    chain((struct seg[2]){ { header(VIRTIO_BLK_T_OUT, 0), 16, R }, { st, 1, R } }, 2);
    drv_notify(&blk.mmio, 0);
    assert_true(virtio_mmio_needs_reset(&blk.mmio));

    /* a short header */
    virtio_blk_close(&blk);
    open_blk(false, "x");
    chain((struct seg[2]){ { header(VIRTIO_BLK_T_IN, 0), 8, R }, { st, 1, W } }, 2);
    drv_notify(&blk.mmio, 0);
    assert_true(virtio_mmio_needs_reset(&blk.mmio));

    /* a data buffer outside RAM (the walker's check) */
    virtio_blk_close(&blk);
    open_blk(false, "x");
    chain((struct seg[3]){ { header(VIRTIO_BLK_T_IN, 0), 16, R },
                           { FG_RAM_SIZE - 256, 512, W },
                           { st, 1, W } },
          3);
    drv_notify(&blk.mmio, 0);
    assert_true(virtio_mmio_needs_reset(&blk.mmio));
}

/* Garbage requests: the device answers or needs a reset, never touches the file outside the
 * disk, and comes back after a reset. */
static uint64_t rnd_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void test_random_requests(void **state)
{
    static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
                                      VIRTIO_BLK_T_GET_ID, 3, 0xffffffff };
    unsigned resets = 0, answered = 0;
    for (unsigned iter = 0; iter < 3000; iter++) {
        fg.heap = FG_HEAP;
        uint64_t sector = rnd() % 3 ? rnd() % 2100 : rnd();
        gpa_t h = header(types[rnd() % 6], sector);
        unsigned n = 1 + (unsigned)(rnd() % 4);
        struct seg sg[4] = { { h, (uint32_t)(rnd() % 4 ? 16 : rnd() % 32), R } };
        for (unsigned i = 1; i < n; i++) {
            uint32_t len = rnd() % 2 ? (uint32_t)(512 * (rnd() % 5)) : (uint32_t)(rnd() % 700);
            gpa_t a = rnd() % 8 ? fg_alloc(len + 1) : FG_RAM_SIZE - rnd() % 1024;
            uint16_t f = (uint16_t)(rnd() % 3 ? (i == n - 1 ? W : rnd() & W) : 0);
            sg[i] = (struct seg){ a, len, f };
        }
        uint16_t before = fvq_used_idx(&fq);
        chain(sg, n);
        drv_notify(&blk.mmio, 0);
        if (virtio_mmio_needs_reset(&blk.mmio)) {
            resets++;
            fvq_init(&fq, 0, QN);
            next_desc = 0;
            drv_init(&blk.mmio, ~0ull, &fq);
        } else {
            assert_int_equal(fvq_used_idx(&fq), (uint16_t)(before + 1));
            answered++;
        }
    }
    struct stat st;
    assert_int_equal(stat(image, &st), 0);
    assert_int_equal(st.st_size, 1 << 20); /* never written past the disk */
    print_message("random requests: %u answered, %u needed a reset\n", answered, resets);
    assert_true(answered > 100 && resets > 100);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Requests/s through MMIO notify + walker + preadv/pwritev on a page-cached file, 4 KiB each,
 * depth requests per notify, inline (vCPU thread) or on the device thread. GET_ID requests
 * (20 bytes, no file I/O) measure the transport and the walker alone. */
static double bench(bool threaded, uint32_t type, unsigned depth, unsigned total)
{
    virtio_blk_close(&blk);
    struct virtio_blk_params p = { image, "bench", false, BASE, IRQ, threaded };
    assert_int_equal(virtio_blk_open(&blk, &fg.env, &p), 0);
    fvq_init(&fq, 0, QN);
    next_desc = 0;
    drv_init(&blk.mmio, ~0ull, &fq);
    fg.heap = FG_HEAP;
    gpa_t h[32], d[32], st[32];
    uint32_t len = type == VIRTIO_BLK_T_GET_ID ? VIRTIO_BLK_ID_BYTES : 4096;
    for (int i = 0; i < 32; i++) {
        h[i] = header(type, (uint64_t)i * 8);
        d[i] = fg_alloc(4096);
        st[i] = fg_alloc(1);
    }
    uint16_t done = 0;
    double t0 = now_s();
    for (unsigned n = 0; n < total; n += depth) {
        for (unsigned i = 0; i < depth; i++)
            chain((struct seg[3]){ { h[i], 16, R },
                                   { d[i], len, type == VIRTIO_BLK_T_OUT ? R : W },
                                   { st[i], 1, W } },
                  3);
        drv_notify(&blk.mmio, 0);
        done = (uint16_t)(done + depth);
        while (fvq_used_idx(&fq) != done)
            ;
    }
    double rate = total / (now_s() - t0);
    assert_int_equal(*(uint8_t *)fg_ptr(st[depth - 1], 1), VIRTIO_BLK_S_OK);
    return rate;
}

static void test_microbenchmark(void **state)
{
    const char *env = getenv("VIRTIO_BENCH_REQUESTS");
    unsigned total = env ? (unsigned)atoi(env) : 3200;
    static const struct {
        const char *name;
        uint32_t type;
    } kinds[] = {
        { "read 4K", VIRTIO_BLK_T_IN },
        { "write 4K", VIRTIO_BLK_T_OUT },
        { "get-id", VIRTIO_BLK_T_GET_ID },
    };
    printf("virtio-blk requests/s (file in page cache; %u requests each):\n", total);
    for (size_t k = 0; k < 3; k++)
        printf("  %-8s  inline qd1 %8.0f  qd32 %8.0f   device thread qd1 %8.0f  qd32 %8.0f\n",
               kinds[k].name, bench(false, kinds[k].type, 1, total),
               bench(false, kinds[k].type, 32, total), bench(true, kinds[k].type, 1, total),
               bench(true, kinds[k].type, 32, total));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_config_and_features),
        T(test_change_medium),
        T(test_write_lands_in_file),
        T(test_scattered_request),
        T(test_indirect_request),
        T(test_flush),
        T(test_get_id),
        T(test_read_only),
        T(test_odd_sizes),
        T(test_bad_requests),
        T(test_malformed_needs_reset),
        T(test_random_requests), T(test_microbenchmark),
    };
    return cmocka_run_group_tests_name("vmm_virtio_blk", tests, NULL, NULL);
}
