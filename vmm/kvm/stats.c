/* Binary stats reader; see stats.h. Names are matched generically: whatever the kernel has. */
#include "vmm/kvm/stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const wanted[] = {
    "exits", "io_exits", "mmio_exits", "halt_exits", "insn_emulation", "insn_emulation_fail",
    "irq_exits", "irq_window_exits", "nmi_window_exits", "irq_injections", "signal_exits",
    "request_irq_exits", "hypercalls", "pf_taken", "halt_wakeup",
};
#define NWANTED (sizeof(wanted) / sizeof(wanted[0]))

int stats_open(int vcpu_fd)
{
    int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
    return fd < 0 ? -errno : fd;
}

int stats_format(const struct kvm_stats_header *h, const uint8_t *descs, size_t descs_len,
                 const uint8_t *data, size_t data_len, char *out, size_t outlen)
{
    size_t dsize = sizeof(struct kvm_stats_desc) + h->name_size;
    size_t used = 0;
    int count = 0;

    if (outlen)
        out[0] = '\0';
    for (size_t w = 0; w < NWANTED; w++) {
        for (uint32_t i = 0; i < h->num_desc && (i + 1) * dsize <= descs_len; i++) {
            const struct kvm_stats_desc *d = (const void *)(descs + i * dsize);
            if (strnlen(d->name, h->name_size) == h->name_size || strcmp(d->name, wanted[w]))
                continue;
            uint64_t v;
            if (d->size < 1 || d->offset + sizeof(v) > data_len)
                break;
            memcpy(&v, data + d->offset, sizeof(v));
            int n = snprintf(out + used, outlen - used, "%s%s=%llu", count ? " " : "",
                             wanted[w], (unsigned long long)v);
            if (n < 0 || (size_t)n >= outlen - used)
                return count;
            used += n;
            count++;
            break;
        }
    }
    return count;
}

static int read_at(int fd, void *buf, size_t len, off_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, off + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += n;
    }
    return 0;
}

int stats_read(int fd, char *out, size_t outlen)
{
    struct kvm_stats_header h;
    int rc = read_at(fd, &h, sizeof(h), 0);
    if (rc)
        return rc;
    if (h.num_desc > 4096 || h.name_size > 4096)
        return -EINVAL;
    size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
    size_t descs_len = h.num_desc * dsize;
    uint8_t *descs = malloc(descs_len);
    if (!descs)
        return -ENOMEM;
    if ((rc = read_at(fd, descs, descs_len, h.desc_offset))) {
        free(descs);
        return rc;
    }
    size_t data_len = 0;
    for (uint32_t i = 0; i < h.num_desc; i++) {
        const struct kvm_stats_desc *d = (const void *)(descs + i * dsize);
        size_t end = d->offset + (size_t)d->size * sizeof(uint64_t);
        if (end > data_len)
            data_len = end;
    }
    uint8_t *data = malloc(data_len ? data_len : 1);
    if (!data || (rc = read_at(fd, data, data_len, h.data_offset))) {
        free(descs);
        free(data);
        return data ? rc : -ENOMEM;
    }
    rc = stats_format(&h, descs, descs_len, data, data_len, out, outlen);
    free(descs);
    free(data);
    return rc;
}
