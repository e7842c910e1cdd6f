/* Metric counters and their JSON lines; see metrics.h. */
#include "vmm/metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct metric_desc {
    const char *group, *name;
    bool counter;
};

static const struct metric_desc descs[METRICS_COUNT] = {
#define METRIC_DESC(g, n, k) { #g, #n, METRIC_KIND_##k },
#define METRIC_KIND_INC true
#define METRIC_KIND_SET false
    METRICS_LIST(METRIC_DESC)
#undef METRIC_DESC
};

static atomic_ullong values[METRICS_COUNT];
static uint64_t flushed[METRICS_COUNT];     /* counters at the last flush (VMM thread only) */
static int sink = -1;

void metric_inc(enum metric_id id)
{
    atomic_fetch_add_explicit(&values[id], 1, memory_order_relaxed);
}

void metric_add(enum metric_id id, uint64_t n)
{
    atomic_fetch_add_explicit(&values[id], n, memory_order_relaxed);
}

void metric_set(enum metric_id id, uint64_t v)
{
    atomic_store_explicit(&values[id], v, memory_order_relaxed);
}

uint64_t metric_get(enum metric_id id)
{
    return atomic_load_explicit(&values[id], memory_order_relaxed);
}

int metrics_format(char *buf, size_t len, uint64_t utc_ms)
{
    uint64_t now[METRICS_COUNT];
    size_t n;

    metric_inc(M_metrics__flush_count);
    for (int i = 0; i < METRICS_COUNT; i++)
        now[i] = metric_get(i);
    n = snprintf(buf, len, "{\"utc_timestamp_ms\":%llu", (unsigned long long)utc_ms);
    for (int i = 0; i < METRICS_COUNT && n < len; i++) {
        bool first = i == 0 || strcmp(descs[i - 1].group, descs[i].group);
        uint64_t v = descs[i].counter ? now[i] - flushed[i] : now[i];
        if (first)
            n += snprintf(buf + n, len - n, "%s,\"%s\":{", i ? "}" : "", descs[i].group);
        n += snprintf(buf + n, len - n, "%s\"%s\":%llu", first ? "" : ",", descs[i].name,
                      (unsigned long long)v);
    }
    if (n < len)
        n += snprintf(buf + n, len - n, "}}\n");
    if (n >= len)
        return -ENOSPC;
    memcpy(flushed, now, sizeof(flushed));
    return n;
}

void metrics_set_sink(int fd)
{
    if (sink >= 0)
        close(sink);
    sink = fd;
}

int metrics_sink(void)
{
    return sink;
}

int metrics_flush(void)
{
    char line[8192];
    struct timespec ts;

    if (sink < 0)
        return -ENODEV;
    clock_gettime(CLOCK_REALTIME, &ts);
    int n = metrics_format(line, sizeof(line),
                           (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    if (n < 0)
        return n;
    ssize_t w = write(sink, line, n);
    if (w < 0)
        return -errno;
    return w == n ? 0 : -EIO;
}
