/* Virtio 1.2 layouts shared by the kernel's drivers and motevm's devices: status and feature
 * bits, the split virtqueue, the three transports' register layouts and the device types' config
 * and request formats. All fields little-endian (x86 is, so they are plain integers here).
 * Spec: Virtual I/O Device (VIRTIO) Version 1.2, sections cited per block. */
#ifndef ABI_VIRTIO_H
#define ABI_VIRTIO_H

#include <stdint.h>

#define VIRTIO_OFF(type, field) __builtin_offsetof(type, field)

/* §2.1 Device status field */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* §6 Reserved feature bits (bit numbers) */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24 /* legacy */
#define VIRTIO_F_ANY_LAYOUT 27      /* legacy */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_RING_RESET 40

/* §5 Device types */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_VSOCK 19

/* §2.7 Split virtqueues */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_MAX_SIZE 32768

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* queue size entries, then uint16_t used_event (EVENT_IDX) */
};
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header");

struct virtq_used_elem {
    uint32_t id;  /* head of the descriptor chain */
    uint32_t len; /* bytes written into the chain's device-writable buffers */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem");

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* queue size entries, then uint16_t avail_event */
};
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header");

/* §2.7 sizes of the three parts for a queue of n entries (event-idx words included) */
#define VIRTQ_DESC_SIZE(n) (16ul * (n))
#define VIRTQ_AVAIL_SIZE(n) (6ul + 2ul * (n))
#define VIRTQ_USED_SIZE(n) (6ul + 8ul * (n))
/* §2.7.2 legacy interface: the used ring starts on the next QueueAlign (4096) boundary */
#define VIRTQ_LEGACY_ALIGN 4096

/* §2.7.10 event index test: true when new_idx passed event since old_idx */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* §4.2.2 virtio-mmio registers (version 2; version 1 is the legacy layout, marked) */
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028 /* version 1 */
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c     /* version 1 */
#define VIRTIO_MMIO_QUEUE_PFN 0x040       /* version 1 */
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_QUEUE_RESET 0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100
#define VIRTIO_MMIO_INT_VRING 1  /* InterruptStatus: used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2 /* InterruptStatus: configuration change */

/* §4.1 virtio over PCI */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_LEGACY_DEVICE_BASE 0x1000 /* transitional IDs 0x1000-0x103f (§4.1.2.3) */
#define VIRTIO_PCI_MODERN_DEVICE_BASE 0x1040 /* 0x1040 + device type */

/* §4.1.4.8 legacy interface: the I/O BAR 0 layout */
#define VIRTIO_PCI_LEGACY_DEVICE_FEATURES 0x00 /* 32 bits */
#define VIRTIO_PCI_LEGACY_GUEST_FEATURES 0x04  /* 32 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_PFN 0x08       /* 32 bits, address >> 12 */
#define VIRTIO_PCI_LEGACY_QUEUE_SIZE 0x0c      /* 16 bits, read-only */
#define VIRTIO_PCI_LEGACY_QUEUE_SEL 0x0e       /* 16 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_NOTIFY 0x10    /* 16 bits */
#define VIRTIO_PCI_LEGACY_STATUS 0x12          /* 8 bits */
#define VIRTIO_PCI_LEGACY_ISR 0x13             /* 8 bits, read clears */
#define VIRTIO_PCI_LEGACY_CONFIG 0x14          /* device config without MSI-X */
#define VIRTIO_PCI_LEGACY_CONFIG_MSIX 0x18     /* device config with MSI-X enabled */

/* §4.1.4 modern interface: vendor-specific capabilities */
#define PCI_CAP_ID_VNDR 0x09
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5
#define VIRTIO_PCI_CAP_SHARED_MEMORY_CFG 8
#define VIRTIO_PCI_CAP_VENDOR_CFG 9

struct virtio_pci_cap {
    uint8_t cap_vndr; /* PCI_CAP_ID_VNDR */
    uint8_t cap_next;
    uint8_t cap_len;
    uint8_t cfg_type; /* VIRTIO_PCI_CAP_* */
    uint8_t bar;
    uint8_t id;
    uint8_t padding[2];
    uint32_t offset; /* within the BAR */
    uint32_t length;
};
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap");

struct virtio_pci_notify_cap {
    struct virtio_pci_cap cap;
    uint32_t notify_off_multiplier; /* queue notify address = offset + queue_notify_off * this */
};
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "virtio_pci_notify_cap");

/* §4.1.4.3 common configuration structure */
struct virtio_pci_common_cfg {
    uint32_t device_feature_select;
    uint32_t device_feature;
    uint32_t driver_feature_select;
    uint32_t driver_feature;
    uint16_t config_msix_vector;
    uint16_t num_queues;
    uint8_t device_status;
    uint8_t config_generation;
    uint16_t queue_select;
    uint16_t queue_size;
    uint16_t queue_msix_vector;
    uint16_t queue_enable;
    uint16_t queue_notify_off;
    uint64_t queue_desc;
    uint64_t queue_driver;
    uint64_t queue_device;
    uint16_t queue_notify_data;
    uint16_t queue_reset;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 0x3c, "virtio_pci_common_cfg");
_Static_assert(VIRTIO_OFF(struct virtio_pci_common_cfg, device_status) == 0x14, "status");
_Static_assert(VIRTIO_OFF(struct virtio_pci_common_cfg, queue_select) == 0x16, "queue_select");
_Static_assert(VIRTIO_OFF(struct virtio_pci_common_cfg, queue_notify_off) == 0x1e, "notify_off");
_Static_assert(VIRTIO_OFF(struct virtio_pci_common_cfg, queue_desc) == 0x20, "queue_desc");
_Static_assert(VIRTIO_OFF(struct virtio_pci_common_cfg, queue_device) == 0x30, "queue_device");
#define VIRTIO_PCI_ISR_QUEUE 1
#define VIRTIO_PCI_ISR_CONFIG 2
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* §5.2 block device */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

struct virtio_blk_config {
    uint64_t capacity; /* in 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    struct {
        uint16_t cylinders;
        uint8_t heads;
        uint8_t sectors;
    } geometry;
    uint32_t blk_size;
    struct {
        uint8_t physical_block_exp;
        uint8_t alignment_offset;
        uint16_t min_io_size;
        uint32_t opt_io_size;
    } topology;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_blk_config) == 0x3c, "virtio_blk_config");
_Static_assert(VIRTIO_OFF(struct virtio_blk_config, blk_size) == 0x14, "blk_size");
_Static_assert(VIRTIO_OFF(struct virtio_blk_config, writeback) == 0x20, "writeback");

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR_SIZE 512

/* §5.2.6 request: this header (device-readable), data, then one status byte (device-writable) */
struct virtio_blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "virtio_blk_req_hdr");

/* §5.4 entropy device: one request queue, device-writable buffers, no config. */

/* §5.1 network device */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_S_LINK_UP 1

struct virtio_net_config {
    uint8_t mac[6];
    uint16_t status;
    uint16_t max_virtqueue_pairs;
    uint16_t mtu;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_config) == 12, "virtio_net_config");

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0

/* §5.1.6 header before every packet; num_buffers exists with VERSION_1 or MRG_RXBUF (12 bytes),
 * a legacy device without MRG_RXBUF uses the first 10 bytes only. */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr");
#define VIRTIO_NET_HDR_LEGACY_SIZE 10

#endif
