/* The split-virtqueue walker (vmm/devices/virtq.c) on rings a test writes into fake guest RAM:
 * well-formed chains, direct and indirect, the used ring and notification suppression, and
 * every hostile shape a guest can hand over (virtio 1.2 §2.7). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "tests/unit/virtio_guest.h"
#include "vmm/devices/virtq.h"

#define N 8
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define IND VIRTQ_DESC_F_INDIRECT

static struct virtq q;
static struct fake_vq fq;

static int setup(void **state)
{
    if (fg_setup(state) || virtq_init(&q, 16))
        return -1;
    fvq_init(&fq, 0, N);
    q.num = N;
    q.desc_gpa = fq.desc;
    q.avail_gpa = fq.avail;
    q.used_gpa = fq.used;
    q.addr_set = VIRTQ_ADDR_DESC | VIRTQ_ADDR_DRIVER | VIRTQ_ADDR_DEVICE;
    return virtq_enable(&q, &fg.mem, false, true);
}

static int teardown(void **state)
{
    virtq_free(&q);
    return fg_teardown(state);
}

/* Pops one chain and expects rc; a fault must come with its description. */
static void expect_pop(int rc, const char *fault_part)
{
    struct virtq_chain c;
    assert_int_equal(virtq_pop(&q, &c), rc);
    if (fault_part) {
        if (!strstr(q.fault, fault_part))
            fail_msg("fault \"%s\" does not say \"%s\"", q.fault, fault_part);
    }
}

static void test_chain(void **state)
{
    struct virtq_chain c;
    gpa_t a = fg_alloc(16), b = fg_alloc(100), s = fg_alloc(1);

    assert_int_equal(virtq_pop(&q, &c), 0); /* empty */
    fvq_desc(&fq, 3, a, 16, NX, 5);
    fvq_desc(&fq, 5, b, 100, NX | W, 1);
    fvq_desc(&fq, 1, s, 1, W, 0);
    fvq_publish(&fq, 3);
    assert_int_equal(virtq_pop(&q, &c), 1);
    assert_int_equal(c.head, 3);
    assert_int_equal(c.nread, 1);
    assert_int_equal(c.nwrite, 2);
    assert_int_equal(c.read_len, 16);
    assert_int_equal(c.write_len, 101);
    assert_ptr_equal(c.iov[0].iov_base, fg_ptr(a, 16));
    assert_ptr_equal(c.iov[1].iov_base, fg_ptr(b, 100));
    assert_int_equal(c.iov[2].iov_len, 1);
    assert_int_equal(virtq_pop(&q, &c), 0);

    virtq_push(&q, c.head, 101);
    assert_int_equal(fvq_used_idx(&fq), 1);
    assert_int_equal(fvq_used_elem(&fq, 0).id, 3);
    assert_int_equal(fvq_used_elem(&fq, 0).len, 101);
}

static void test_indirect(void **state)
{
    struct virtq_chain c;
    gpa_t t = fg_alloc(3 * 16), a = fg_alloc(16), b = fg_alloc(512), s = fg_alloc(1);
    struct virtq_desc table[3] = {
        { a, 16, NX, 2 },
        { s, 1, W, 0 },
        { b, 512, NX | W, 1 },
    };
    memcpy(fg_ptr(t, sizeof(table)), table, sizeof(table));
    fvq_desc(&fq, 0, t, sizeof(table), IND, 0);
    fvq_publish(&fq, 0);
    assert_int_equal(virtq_pop(&q, &c), 1);
    assert_int_equal(c.nread, 1);
    assert_int_equal(c.nwrite, 2);
    assert_int_equal(c.write_len, 513);
    assert_ptr_equal(c.iov[1].iov_base, fg_ptr(b, 512));

    /* a direct descriptor may lead into an indirect table at the end of the chain */
    fvq_desc(&fq, 1, a, 16, NX, 2);
    fvq_desc(&fq, 2, t + 16, 32, IND, 0); /* table entries { s, W } and { b, NX|W -> 1 } */
    memcpy(fg_ptr(t + 16, 32), (struct virtq_desc[2]){ { b, 512, NX | W, 1 }, { s, 1, W, 0 } }, 32);
    fvq_publish(&fq, 1);
    assert_int_equal(virtq_pop(&q, &c), 1);
    assert_int_equal(c.nread + c.nwrite, 3);
}

static void test_outside_ram(void **state)
{
    fvq_desc(&fq, 0, FG_RAM_SIZE - 8, 16, 0, 0); /* crosses the end of RAM */
    fvq_publish(&fq, 0);
    expect_pop(-EFAULT, "outside guest RAM");
}

static void test_far_address(void **state)
{
    fvq_desc(&fq, 0, 0x100000000ull, 1, 0, 0); /* above 4 GiB, no RAM there */
    fvq_publish(&fq, 0);
    expect_pop(-EFAULT, "descriptor 0");
}

/* RAM bigger than the MMIO gap start: [0xd0000000, 4 GiB) is not RAM, 4 GiB up is. */
static void test_mmio_gap(void **state)
{
    uint64_t size = MMIO_GAP_START + (16 << 20);
    void *ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(ram != MAP_FAILED);
    struct guest_mem big = { ram, size };
    memcpy((uint8_t *)ram + fq.desc, fg_ptr(fq.desc, 0x30000), 0x30000); /* same rings */
    assert_int_equal(virtq_enable(&q, &big, false, true), 0);
    struct virtq_desc *d = (struct virtq_desc *)((uint8_t *)ram + fq.desc);
    struct virtq_avail *a = (struct virtq_avail *)((uint8_t *)ram + fq.avail);
    struct virtq_chain c;

    d[0] = (struct virtq_desc){ 0xd0000000ull, 16, 0, 0 };           /* in the gap */
    a->ring[0] = 0;
    a->idx = 1;
    assert_int_equal(virtq_pop(&q, &c), -EFAULT);
    assert_int_equal(virtq_enable(&q, &big, false, true), 0);
    d[0] = (struct virtq_desc){ 0xcffff000ull, 0x2000, 0, 0 };       /* RAM into the gap */
    assert_int_equal(virtq_pop(&q, &c), -EFAULT);
    assert_int_equal(virtq_enable(&q, &big, false, true), 0);
    d[0] = (struct virtq_desc){ MMIO_GAP_END + 0x1000, 512, 0, 0 };  /* high RAM: fine */
    assert_int_equal(virtq_pop(&q, &c), 1);
    assert_ptr_equal(c.iov[0].iov_base, (uint8_t *)ram + MMIO_GAP_START + 0x1000);
    munmap(ram, size);
}

static void test_length_wraps(void **state)
{
    fvq_desc(&fq, 0, 0xfffffffffffff000ull, 0x2000, 0, 0); /* addr + len wraps to 0x1000 */
    fvq_publish(&fq, 0);
    expect_pop(-EFAULT, "outside guest RAM");
}

static void test_loop(void **state)
{
    gpa_t a = fg_alloc(8);
    fvq_desc(&fq, 0, a, 8, NX, 1);
    fvq_desc(&fq, 1, a, 8, NX, 0); /* next points back */
    fvq_publish(&fq, 0);
    expect_pop(-ELOOP, "more than 8 descriptors");
}

static void test_self_loop(void **state)
{
    fvq_desc(&fq, 4, fg_alloc(8), 8, NX, 4);
    fvq_publish(&fq, 4);
    expect_pop(-ELOOP, "a loop");
}

static void test_chain_longer_than_queue(void **state)
{
    /* nine distinct buffers in an indirect table, queue size 8 */
    gpa_t t = fg_alloc(9 * 16), a = fg_alloc(8);
    struct virtq_desc *d = fg_ptr(t, 9 * 16);
    for (int i = 0; i < 9; i++)
        d[i] = (struct virtq_desc){ a, 8, i < 8 ? NX : 0, (uint16_t)(i + 1) };
    fvq_desc(&fq, 0, t, 9 * 16, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-ELOOP, "more than 8");
}

static void test_head_out_of_range(void **state)
{
    fvq_publish(&fq, N);
    expect_pop(-ERANGE, "head 8 >= queue size 8");
}

static void test_next_out_of_range(void **state)
{
    fvq_desc(&fq, 0, fg_alloc(8), 8, NX, 0xffff);
    fvq_publish(&fq, 0);
    expect_pop(-ERANGE, "next 65535");
}

static void test_indirect_bad_length(void **state)
{
    gpa_t t = fg_alloc(64);
    fvq_desc(&fq, 0, t, 24, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-EINVAL, "not a non-zero multiple of 16");
}

static void test_indirect_zero_length(void **state)
{
    fvq_desc(&fq, 0, fg_alloc(16), 0, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-EINVAL, "multiple of 16");
}

static void test_indirect_nested(void **state)
{
    gpa_t t = fg_alloc(32), t2 = fg_alloc(16);
    struct virtq_desc *d = fg_ptr(t, 32);
    d[0] = (struct virtq_desc){ fg_alloc(8), 8, NX, 1 };
    d[1] = (struct virtq_desc){ t2, 16, IND, 0 };
    fvq_desc(&fq, 0, t, 32, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-EINVAL, "inside an indirect table");
}

static void test_indirect_with_next(void **state)
{
    fvq_desc(&fq, 0, fg_alloc(16), 16, IND | NX, 1);
    fvq_publish(&fq, 0);
    expect_pop(-EINVAL, "VIRTQ_DESC_F_NEXT");
}

static void test_indirect_outside_ram(void **state)
{
    fvq_desc(&fq, 0, FG_RAM_SIZE - 16, 32, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-EFAULT, "indirect table");
}

static void test_indirect_next_out_of_table(void **state)
{
    gpa_t t = fg_alloc(32);
    struct virtq_desc *d = fg_ptr(t, 32);
    d[0] = (struct virtq_desc){ fg_alloc(8), 8, NX, 2 }; /* table has 2 entries */
    fvq_desc(&fq, 0, t, 32, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-ERANGE, "indirect table size 2");
}

static void test_indirect_not_negotiated(void **state)
{
    assert_int_equal(virtq_enable(&q, &fg.mem, false, false), 0);
    fvq_desc(&fq, 0, fg_alloc(16), 16, IND, 0);
    fvq_publish(&fq, 0);
    expect_pop(-EINVAL, "without VIRTIO_F_INDIRECT_DESC");
}

static void test_readable_after_writable(void **state)
{
    gpa_t a = fg_alloc(8);
    fvq_desc(&fq, 0, a, 8, W | NX, 1);
    fvq_desc(&fq, 1, a, 8, 0, 0);
    fvq_publish(&fq, 0);
    expect_pop(-EINVAL, "device-readable after device-writable");
}

static void test_avail_idx_jump(void **state)
{
    fvq_desc(&fq, 0, fg_alloc(8), 8, 0, 0);
    fvq_set_avail_idx(&fq, N + 1);
    expect_pop(-EOVERFLOW, "9 entries ahead");
}

static void test_length_cap(void **state)
{
    q.max_bytes = 4096;
    fvq_desc(&fq, 0, fg_alloc(4096), 4096, NX | W, 1);
    fvq_desc(&fq, 1, fg_alloc(1), 1, W, 0);
    fvq_publish(&fq, 0);
    expect_pop(-E2BIG, "more than 4096 writable bytes");

    /* 4 GiB of readable length from two descriptors is refused with the default cap too */
    q.max_bytes = UINT32_MAX;
    assert_int_equal(virtq_enable(&q, &fg.mem, false, true), 0);
    fvq_init(&fq, 0, N);
    fvq_desc(&fq, 0, 0, FG_RAM_SIZE, NX, 1);
    fvq_desc(&fq, 1, 0, UINT32_MAX, 0, 0); /* outside RAM anyway: the address check wins */
    fvq_publish(&fq, 0);
    expect_pop(-EFAULT, "descriptor 1");
}

static void test_enable_checks(void **state)
{
    static const uint32_t bad_sizes[] = { 0, 3, 12, 32, 65536, 0x80000000u };
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        q.num = bad_sizes[i];
        assert_int_equal(virtq_enable(&q, &fg.mem, false, false), -EINVAL);
        assert_false(q.ready);
        assert_non_null(strstr(q.fault, "power of two"));
    }
    q.num = 16; /* = num_max */
    assert_int_equal(virtq_enable(&q, &fg.mem, false, false), 0);

    q.desc_gpa = fq.desc + 8; /* §2.7: descriptor table 16-byte aligned */
    assert_int_equal(virtq_enable(&q, &fg.mem, false, false), -EINVAL);
    assert_non_null(strstr(q.fault, "aligned"));
    q.desc_gpa = fq.desc;
    q.avail_gpa = fq.avail + 1;
    assert_int_equal(virtq_enable(&q, &fg.mem, false, false), -EINVAL);
    q.avail_gpa = fq.avail;
    q.used_gpa = FG_RAM_SIZE - 64; /* 6 + 8 * 16 bytes do not fit */
    assert_int_equal(virtq_enable(&q, &fg.mem, false, false), -EFAULT);
    assert_non_null(strstr(q.fault, "device area"));
    q.used_gpa = fq.used;
    q.addr_set = VIRTQ_ADDR_DESC | VIRTQ_ADDR_DEVICE;
    assert_int_equal(virtq_enable(&q, &fg.mem, false, false), -EINVAL);
    assert_non_null(strstr(q.fault, "driver area address was written"));

    virtq_reset(&q);
    assert_int_equal(q.num, 16);
    assert_false(q.ready);
    assert_int_equal(q.addr_set, 0);
}

static void test_interrupt_suppression(void **state)
{
    gpa_t a = fg_alloc(8);
    struct virtq_chain c;

    /* without event idx: VIRTQ_AVAIL_F_NO_INTERRUPT */
    fvq_desc(&fq, 0, a, 8, W, 0);
    fvq_publish(&fq, 0);
    assert_int_equal(virtq_pop(&q, &c), 1);
    virtq_push(&q, 0, 8);
    assert_true(virtq_need_interrupt(&q));
    fvq_set_avail_flags(&fq, VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_push(&q, 0, 8);
    assert_false(virtq_need_interrupt(&q));

    /* with event idx: only when used idx passes used_event */
    fvq_init(&fq, 0, N);
    fq.avail_idx = 0;
    assert_int_equal(virtq_enable(&q, &fg.mem, true, true), 0);
    fvq_set_avail_flags(&fq, VIRTQ_AVAIL_F_NO_INTERRUPT); /* ignored with event idx */
    fvq_set_used_event(&fq, 2);                           /* interrupt when idx goes past 2 */
    for (int i = 0; i < 4; i++) {
        fvq_desc(&fq, (uint16_t)i, a, 8, W, 0);
        fvq_publish(&fq, (uint16_t)i);
    }
    bool want[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(virtq_pop(&q, &c), 1);
        virtq_push(&q, c.head, 8);
        want[i] = virtq_need_interrupt(&q);
    }
    assert_true(want[0]);  /* the first one always (nothing signalled yet) */
    assert_false(want[1]); /* used idx 2: not past 2 yet */
    assert_true(want[2]);  /* used idx 3 passed used_event 2 */
    assert_false(want[3]);
}

static void test_notify_suppression(void **state)
{
    struct virtq_used *u = fg_ptr(fq.used, VIRTQ_USED_SIZE(N));
    virtq_notify_disable(&q);
    assert_int_equal(u->flags, VIRTQ_USED_F_NO_NOTIFY);
    assert_false(virtq_notify_enable(&q));
    assert_int_equal(u->flags, 0);
    fvq_desc(&fq, 0, fg_alloc(8), 8, 0, 0);
    fvq_publish(&fq, 0);
    assert_true(virtq_notify_enable(&q)); /* a buffer came: drain again */

    assert_int_equal(virtq_enable(&q, &fg.mem, true, true), 0);
    struct virtq_chain c;
    assert_int_equal(virtq_pop(&q, &c), 1);
    virtq_notify_disable(&q); /* nothing to do with event idx */
    assert_int_equal(u->flags, 0);
    assert_false(virtq_notify_enable(&q));
    assert_int_equal(fvq_avail_event(&fq), 1); /* the driver notifies when it passes 1 */
}

static void test_ring_wraps(void **state)
{
    struct virtq_chain c;
    gpa_t a = fg_alloc(8);
    for (unsigned i = 0; i < 70000; i++) { /* idx wraps past 65535 */
        uint16_t d = (uint16_t)(i % N);
        fvq_desc(&fq, d, a, 8, W, 0);
        fvq_publish(&fq, d);
        assert_int_equal(virtq_pop(&q, &c), 1);
        assert_int_equal(c.head, d);
        virtq_push(&q, c.head, 8);
    }
    assert_int_equal(fvq_used_idx(&fq), (uint16_t)70000);
}

/* Garbage rings: whatever the walker accepts lies inside RAM and within the limits. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static uint64_t rnd_addr(void)
{
    static const uint64_t edges[] = { 0, FG_HEAP, FG_RAM_SIZE - 64, FG_RAM_SIZE,
                                      0xfffffffffffffff0ull, 0x100000000ull };
    return rnd() % 3 ? FG_HEAP + rnd() % (FG_RAM_SIZE - FG_HEAP) : edges[rnd() % 6];
}

static void random_desc(struct virtq_desc *d, unsigned n_next)
{
    uint16_t flags = (uint16_t)(rnd() & 7);
    uint32_t len = rnd() % 4 ? (uint32_t)(rnd() % 4096) : (uint32_t)rnd();
    if ((flags & IND) && rnd() % 2)
        len = (uint32_t)(16 * (1 + rnd() % 8));
    *d = (struct virtq_desc){ rnd_addr(), len, flags, (uint16_t)(rnd() % n_next) };
}

static void test_random_rings(void **state)
{
    struct virtq_chain c;
    unsigned ok = 0, faults = 0;
    for (unsigned iter = 0; iter < 20000; iter++) {
        fvq_init(&fq, 0, N);
        assert_int_equal(virtq_enable(&q, &fg.mem, rnd() & 1, rnd() & 1), 0);
        for (uint16_t i = 0; i < N; i++) {
            struct virtq_desc d;
            random_desc(&d, N + 2);
            fvq_desc(&fq, i, d.addr, d.len, d.flags, d.next);
        }
        /* some indirect tables in RAM, full of garbage too */
        for (unsigned t = 0; t < 8; t++) {
            struct virtq_desc *tab = fg_ptr(FG_HEAP + t * 128, 128);
            for (unsigned k = 0; k < 8; k++)
                random_desc(&tab[k], 10);
        }
        unsigned pushes = (unsigned)(rnd() % (N + 2));
        for (unsigned k = 0; k < pushes; k++)
            fvq_publish(&fq, (uint16_t)(rnd() % (N + 1)));
        int rc;
        while ((rc = virtq_pop(&q, &c)) > 0) {
            ok++;
            assert_true(c.nread + c.nwrite <= N);
            for (unsigned k = 0; k < c.nread + c.nwrite; k++) {
                uint8_t *b = c.iov[k].iov_base;
                assert_true(b >= fg.mem.host && b <= fg.mem.host + FG_RAM_SIZE);
                assert_true(c.iov[k].iov_len <= (size_t)(fg.mem.host + FG_RAM_SIZE - b));
            }
            virtq_push(&q, c.head, 0);
        }
        if (rc < 0) {
            faults++;
            assert_true(q.fault[0] != '\0');
        }
    }
    print_message("random rings: %u chains accepted, %u faults\n", ok, faults);
    assert_true(ok > 100 && faults > 100); /* both paths were exercised */
}

static void test_iov_helpers(void **state)
{
    uint8_t a[5] = "abcde", b[3] = "fgh", c[4] = "ijkl", out[12];
    struct iovec iov[3] = { { a, 5 }, { b, 3 }, { c, 4 } }, s[3];

    assert_int_equal(virtq_iov_to_buf(iov, 3, 3, out, 7), 7);
    assert_memory_equal(out, "defghij", 7);
    assert_int_equal(virtq_iov_to_buf(iov, 3, 10, out, 7), 2);
    assert_int_equal(virtq_buf_to_iov(iov, 3, 4, "XYZ", 3), 3);
    assert_memory_equal(a, "abcdX", 5);
    assert_memory_equal(b, "YZh", 3);

    assert_int_equal(virtq_iov_slice(iov, 3, 4, 6, s, 3), 3);
    assert_ptr_equal(s[0].iov_base, a + 4);
    assert_int_equal(s[0].iov_len, 1);
    assert_int_equal(s[1].iov_len, 3);
    assert_int_equal(s[2].iov_len, 2);
    assert_int_equal(virtq_iov_slice(iov, 3, 4, 6, s, 2), -EINVAL); /* too many pieces */
    assert_int_equal(virtq_iov_slice(iov, 3, 8, 5, s, 3), -EINVAL); /* past the end */
    assert_int_equal(virtq_iov_slice(iov, 3, 12, 0, s, 3), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_chain),
        T(test_indirect),
        T(test_outside_ram),
        T(test_far_address),
        T(test_mmio_gap), T(test_length_wraps),
        T(test_loop),
        T(test_self_loop),
        T(test_chain_longer_than_queue),
        T(test_head_out_of_range),
        T(test_next_out_of_range),
        T(test_indirect_bad_length),
        T(test_indirect_zero_length),
        T(test_indirect_nested),
        T(test_indirect_with_next),
        T(test_indirect_outside_ram),
        T(test_indirect_next_out_of_table),
        T(test_indirect_not_negotiated),
        T(test_readable_after_writable),
        T(test_avail_idx_jump),
        T(test_length_cap),
        T(test_enable_checks),
        T(test_interrupt_suppression),
        T(test_notify_suppression),
        T(test_ring_wraps),
        T(test_random_rings), T(test_iov_helpers),
    };
    return cmocka_run_group_tests_name("vmm_virtq", tests, NULL, NULL);
}
