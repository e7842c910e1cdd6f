/* `--test=blk-bench`: sequential read and write throughput of vda at 4 KiB and 128 KiB, queue
 * depth 1 and 32, timed with the TSC; bench/blk.py runs it and prints the table.
 * Test arguments: mb=N (bytes per run, default the disk up to 256 MiB), trace=N (instead: N
 * 4 KiB reads at depth 1, then N as batches of 32, between calls of blk_bench_mark, which
 * bench/blk.py finds in a QEMU execution trace to count instructions and exits per request). */
#include "mote/blk.h"
#include "mote/bootchart.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/x86.h"
#include "mote/ktest.h"

#define SUITE "blk-bench"

#define MAX_QD 32
#define MAX_BS (128 * 1024)

static struct blk_io ios[MAX_QD];
static void *bufs[MAX_QD];

void blk_bench_mark(int phase);
__attribute__((noinline)) void blk_bench_mark(int phase)
{
    __asm__ volatile("" : : "r"(phase) : "memory");
}

/* n requests of bs bytes from sector 0 on, qd in flight, each refill one batch (one exit at
 * most). Returns 0 or an errno. */
static int run(struct blk_dev *d, bool write, size_t bs, unsigned qd, uint64_t n)
{
    uint64_t issued = 0, completed = 0;
    bool busy[MAX_QD] = {0};
    while (completed < n) {
        blk_plug(d);
        for (unsigned s = 0; s < qd && issued < n; s++) {
            if (busy[s])
                continue;
            ios[s] = (struct blk_io){.sector = issued * (bs / BLK_SECTOR_SIZE), .buf = bufs[s],
                                     .len = bs};
            int rc = write ? blk_write(d, &ios[s]) : blk_read(d, &ios[s]);
            if (rc) {
                blk_unplug(d);
                return rc;
            }
            busy[s] = true;
            issued++;
        }
        blk_unplug(d);
        /* Wait for the oldest in flight (asleep when the disk interrupts), take what is done. */
        for (unsigned s = 0; s < qd; s++) {
            if (busy[s]) {
                blk_wait(d, &ios[s]);
                break;
            }
        }
        blk_poll(d);
        for (unsigned s = 0; s < qd; s++) {
            if (busy[s] && ios[s].complete) {
                busy[s] = false;
                completed++;
                if (ios[s].status)
                    return ios[s].status;
            }
        }
    }
    return 0;
}

/* The traced run: n 4 KiB reads one at a time (synchronous), then n in batches of 32. */
static int traced(struct blk_dev *d, uint64_t n)
{
    int rc = 0;
    blk_bench_mark(1);
    for (uint64_t i = 0; i < n && !rc; i++)
        rc = blk_read_sync(d, i * 8, bufs[0], 4096);
    blk_bench_mark(2);
    for (uint64_t i = 0; i < n && !rc; i += MAX_QD) {
        unsigned k = (unsigned)MIN((uint64_t)MAX_QD, n - i);
        blk_plug(d);
        for (unsigned s = 0; s < k; s++) {
            ios[s] = (struct blk_io){.sector = (i + s) * 8, .buf = bufs[s], .len = 4096};
            rc |= blk_read(d, &ios[s]);
        }
        blk_unplug(d);
        for (unsigned s = 0; s < k; s++)
            rc |= blk_wait(d, &ios[s]);
    }
    blk_bench_mark(3);
    return rc;
}

void ktest_blk_bench(void)
{
    struct blk_dev *d = blk_get(0);
    CHECK("disk", d != NULL, "no disk");
    if (!d)
        return;
    for (unsigned s = 0; s < MAX_QD; s++) {
        paddr_t p = page_alloc_contig(MAX_BS / PAGE_SIZE);
        if (!p) {
            CHECK("buffers", false, "out of memory");
            return;
        }
        bufs[s] = phys_to_virt(p);
    }
    uint64_t v, disk = d->sectors * BLK_SECTOR_SIZE;
    const char *s = ktest_arg("trace");
    if (s && parse_u64(s, &v) == 0) {
        int rc = run(d, false, 4096, 1, 8); /* warm up */
        rc |= traced(d, v);
        CHECK("trace", rc == 0, "error %d", rc);
        return;
    }
    uint64_t bytes = MIN(disk, 256ull << 20);
    s = ktest_arg("mb");
    if (s && parse_u64(s, &v) == 0 && v && (v << 20) <= disk)
        bytes = v << 20;
    uint64_t khz = arch_tsc_khz();
    static const size_t sizes[] = {4096, MAX_BS};
    static const unsigned depths[] = {1, MAX_QD};
    for (int w = 1; w >= 0; w--) {
        if (w && d->read_only)
            continue;
        for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
            for (unsigned k = 0; k < ARRAY_SIZE(depths); k++) {
                uint64_t n = bytes / sizes[i];
                uint64_t t0 = rdtsc();
                int rc = run(d, w, sizes[i], depths[k], n);
                uint64_t us = (rdtsc() - t0) * 1000 / (khz ? khz : 1);
                if (us == 0)
                    us = 1;
                printk(LOG_WARN,
                       "bench blk: %s bs=%lu qd=%u: %lu requests, %lu bytes, %lu us, "
                       "%lu.%lu MB/s, %lu IOPS, status %d\n",
                       w ? "write" : "read", (uint64_t)sizes[i], depths[k], n, n * sizes[i], us,
                       n * sizes[i] / us, n * sizes[i] * 10 / us % 10, n * 1000000 / us, rc);
                char what[48];
                snprintf(what, sizeof(what), "%s bs=%lu qd=%u", w ? "write" : "read",
                         (uint64_t)sizes[i], depths[k]);
                CHECK(what, rc == 0, "error %d", rc);
            }
        }
    }
}
