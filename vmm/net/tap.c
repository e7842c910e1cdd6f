/* Host tap devices; see tap.h. Linux Documentation/networking/tuntap.rst, and
 * drivers/net/tun.c for the errors TUNSETIFF gives. */
#include "vmm/net/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(int fd, int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(int fd, int rc, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (fd >= 0)
        close(fd);
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

int tap_open(const char *name, char *err, size_t errlen)
{
    struct ifreq ifr;
    int hdr = TAP_VNET_HDR_SIZE, rc;

    if (strlen(name) >= IFNAMSIZ)
        return fail(-1, -ENAMETOOLONG, err, errlen, "tap %s: name longer than 15 characters", name);
    /* TUNSETIFF would create a missing tap (with CAP_NET_ADMIN): look first. */
    if (!if_nametoindex(name))
        return fail(-1, -ENODEV, err, errlen,
                    "tap %s: no such network interface in this network namespace (create it "
                    "first: ip tuntap add dev %s mode tap)", name, name);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) /* -EPERM is kept for the tap's owner check: a device cgroup says -EACCES */
        return fail(-1, errno == EPERM ? -EACCES : -errno, err, errlen,
                    "tap %s: cannot open /dev/net/tun: %s", name, strerror(errno));
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name, strlen(name));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        rc = -errno;
        if (rc == -EBUSY)
            return fail(fd, rc, err, errlen, "tap %s: busy: another process has it open", name);
        if (rc == -EPERM || rc == -EACCES)
            return fail(fd, -EPERM, err, errlen, "tap %s: permission denied: the tap belongs to "
                        "another user or group (ip tuntap add ... user U), or CAP_NET_ADMIN "
                        "is missing", name);
        if (rc == -EINVAL)
            return fail(fd, rc, err, errlen, "tap %s: not a single-queue tap device (a tun, a "
                        "multi_queue tap, or another kind of interface)", name);
        return fail(fd, rc, err, errlen, "tap %s: TUNSETIFF: %s", name, strerror(-rc));
    }
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
        return fail(fd, -errno, err, errlen, "tap %s: TUNSETVNETHDRSZ 12: %s", name,
                    strerror(errno));
    if ((rc = tap_set_offload(fd, 0)))
        return fail(fd, rc, err, errlen, "tap %s: TUNSETOFFLOAD: %s", name, strerror(-rc));
    return fd;
}

int tap_set_offload(int fd, unsigned flags)
{
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) < 0 ? -errno : 0;
}
