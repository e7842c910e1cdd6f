/* Host tap devices for virtio-net: opened through /dev/net/tun as IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR with a 12-byte virtio_net_hdr (num_buffers included, virtio 1.2 §5.1.6), no
 * offloads, non-blocking. The tap must exist already (ip tuntap add dev NAME mode tap): motevm
 * never creates one, so a typo is an error and not a new interface. */
#ifndef VMM_NET_TAP_H
#define VMM_NET_TAP_H

#include <stddef.h>

#define TAP_VNET_HDR_SIZE 12

/* Opens tap `name`. Returns the fd, or a negative errno with err = "<why>" (one line, no
 * trailing newline): -ENODEV no such interface, -EBUSY attached to another process, -EPERM
 * no permission, -EINVAL not a tap (a tun, a multi-queue tap, or not a tun/tap at all),
 * -ENAMETOOLONG longer than 15 characters: the configuration's fault. Anything else (such as
 * -ENOENT or -EACCES opening /dev/net/tun) is the host's. */
int tap_open(const char *name, char *err, size_t errlen);

/* TUNSETOFFLOAD with TUN_F_* flags (0: the host hands over only checksummed, unsegmented
 * frames). Returns 0 or a negative errno. */
int tap_set_offload(int fd, unsigned flags);

#endif
