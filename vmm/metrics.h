/* Metrics in Firecracker's shape: one JSON object per line, written to --metrics-path or
 * PUT /metrics every 60 s, on FlushMetrics and at exit. Counters ("_count", "_fails", exits)
 * are written as the change since the last flush, as Firecracker's SharedIncMetric; stored
 * values (times) as they are. Any thread may count; only the VMM thread flushes. */
#ifndef VMM_METRICS_H
#define VMM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_PERIOD_MS 60000

/* X(group, name, kind): kind INC (a counter) or SET (a stored value). */
#define METRICS_LIST(X)                                                                        \
    X(api_server, process_startup_time_us, SET)                                                 \
    X(api_server, process_startup_time_cpu_us, SET)                                             \
    X(api_server, sync_vmm_send_timeout_count, INC)                                             \
    X(get_api_requests, instance_info_count, INC)                                               \
    X(get_api_requests, machine_cfg_count, INC)                                                 \
    X(get_api_requests, vm_config_count, INC)                                                   \
    X(get_api_requests, vmm_version_count, INC)                                                 \
    X(get_api_requests, mmds_count, INC)                                                        \
    X(put_api_requests, actions_count, INC)                                                     \
    X(put_api_requests, actions_fails, INC)                                                     \
    X(put_api_requests, boot_source_count, INC)                                                 \
    X(put_api_requests, boot_source_fails, INC)                                                 \
    X(put_api_requests, drive_count, INC)                                                       \
    X(put_api_requests, drive_fails, INC)                                                       \
    X(put_api_requests, logger_count, INC)                                                      \
    X(put_api_requests, logger_fails, INC)                                                      \
    X(put_api_requests, machine_cfg_count, INC)                                                 \
    X(put_api_requests, machine_cfg_fails, INC)                                                 \
    X(put_api_requests, metrics_count, INC)                                                     \
    X(put_api_requests, metrics_fails, INC)                                                     \
    X(put_api_requests, network_count, INC)                                                     \
    X(put_api_requests, network_fails, INC)                                                     \
    X(put_api_requests, entropy_count, INC)                                                     \
    X(put_api_requests, entropy_fails, INC)                                                     \
    X(put_api_requests, vsock_count, INC)                                                       \
    X(put_api_requests, vsock_fails, INC)                                                       \
    X(put_api_requests, mmds_count, INC)                                                        \
    X(put_api_requests, mmds_fails, INC)                                                        \
    X(put_api_requests, balloon_count, INC)                                                     \
    X(put_api_requests, balloon_fails, INC)                                                     \
    X(patch_api_requests, drive_count, INC)                                                     \
    X(patch_api_requests, drive_fails, INC)                                                     \
    X(patch_api_requests, network_count, INC)                                                   \
    X(patch_api_requests, network_fails, INC)                                                   \
    X(patch_api_requests, machine_cfg_count, INC)                                               \
    X(patch_api_requests, machine_cfg_fails, INC)                                               \
    X(patch_api_requests, vm_count, INC)                                                        \
    X(patch_api_requests, vm_fails, INC)                                                        \
    X(patch_api_requests, mmds_count, INC)                                                      \
    X(patch_api_requests, mmds_fails, INC)                                                      \
    X(patch_api_requests, balloon_count, INC)                                                   \
    X(patch_api_requests, balloon_fails, INC)                                                   \
    X(vcpu, exit_io_in, INC)                                                                    \
    X(vcpu, exit_io_out, INC)                                                                   \
    X(vcpu, exit_mmio_read, INC)                                                                \
    X(vcpu, exit_mmio_write, INC)                                                               \
    X(vcpu, failures, INC)                                                                      \
    X(uart, read_count, INC)                                                                    \
    X(uart, write_count, INC)                                                                   \
    X(i8042, read_count, INC)                                                                   \
    X(i8042, write_count, INC)                                                                  \
    X(i8042, reset_count, INC)                                                                  \
    X(i8042, missed_read_count, INC)                                                            \
    X(block, read_count, INC)                                                                   \
    X(block, write_count, INC)                                                                  \
    X(block, flush_count, INC)                                                                  \
    X(block, read_bytes, INC)                                                                   \
    X(block, write_bytes, INC)                                                                  \
    X(block, io_errors, INC)                                                                    \
    X(boot, guest_boot_time_us, SET)                                                            \
    X(boot, guest_boot_time_cpu_us, SET)                                                        \
    X(vmm, panic_count, INC)                                                                    \
    X(metrics, flush_count, INC)

enum metric_id {
#define METRIC_ENUM(g, n, k) M_##g##__##n,
    METRICS_LIST(METRIC_ENUM)
#undef METRIC_ENUM
    METRICS_COUNT
};

void metric_inc(enum metric_id id);
void metric_add(enum metric_id id, uint64_t n);
void metric_set(enum metric_id id, uint64_t v);
uint64_t metric_get(enum metric_id id);

/* Writes the line into buf (NUL-terminated) and starts the next interval. Returns its length,
 * or -ENOSPC. utc_ms is the "utc_timestamp_ms" field. */
int metrics_format(char *buf, size_t len, uint64_t utc_ms);

/* Where flushes go: fd from log_open_sink, or -1 for nowhere. Replaces (and closes) the old. */
void metrics_set_sink(int fd);
int metrics_sink(void);

/* Formats and writes one line to the sink. Returns 0, -ENODEV without a sink, or -errno. */
int metrics_flush(void);

#endif
