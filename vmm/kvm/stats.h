/* A vCPU's KVM statistics through KVM_GET_STATS_FD (Linux Documentation/virt/kvm/api.rst
 * §4.133, "The binary stats"): header, descriptors with names, data. Printed at exit with
 * --level debug as "vcpuN stats: exits=.. io_exits=.. ...". */
#ifndef VMM_KVM_STATS_H
#define VMM_KVM_STATS_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* The stats fd of a vCPU, or -errno (-ENOTTY on kernels without binary stats). Call before the
 * vCPU runs: vCPU ioctls wait while KVM_RUN holds the vCPU. */
int stats_open(int vcpu_fd);

/* Formats the interesting counters that exist ("exits=12 io_exits=8 ...") from the raw blocks.
 * descs holds header->num_desc descriptors of sizeof(kvm_stats_desc) + name_size bytes each;
 * data is the data block. Returns the number of counters written. */
int stats_format(const struct kvm_stats_header *h, const uint8_t *descs, size_t descs_len,
                 const uint8_t *data, size_t data_len, char *out, size_t outlen);

/* Reads the stats file and formats it. Returns the counters written or -errno. */
int stats_read(int stats_fd, char *out, size_t outlen);

#endif
