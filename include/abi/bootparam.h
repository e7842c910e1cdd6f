/* The Linux x86 boot protocol's zero page (struct boot_params) and e820 map, as the monitor
 * writes them and the kernel's Linux 64-bit entry reads them.
 * Spec: Linux Documentation/arch/x86/boot.rst (setup header) and zero-page.rst (offsets). */
#ifndef ABI_BOOTPARAM_H
#define ABI_BOOTPARAM_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_UNUSABLE 5
#define E820_MAX_ENTRIES_ZEROPAGE 128

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry is 20 bytes");

#define BOOT_FLAG_MAGIC 0xAA55
#define BOOT_HDRS_MAGIC 0x53726448 /* "HdrS" */
#define BOOT_LOADER_UNDEFINED 0xff

/* boot.rst, "THE REAL-MODE KERNEL HEADER": lives at offset 0x1f1 of the zero page. */
struct setup_header {
    uint8_t setup_sects;         /* 0x1f1 */
    uint16_t root_flags;         /* 0x1f2 */
    uint32_t syssize;            /* 0x1f4 */
    uint16_t ram_size;           /* 0x1f8 */
    uint16_t vid_mode;           /* 0x1fa */
    uint16_t root_dev;           /* 0x1fc */
    uint16_t boot_flag;          /* 0x1fe */
    uint16_t jump;               /* 0x200 */
    uint32_t header;             /* 0x202 */
    uint16_t version;            /* 0x206 */
    uint32_t realmode_swtch;     /* 0x208 */
    uint16_t start_sys_seg;      /* 0x20c */
    uint16_t kernel_version;     /* 0x20e */
    uint8_t type_of_loader;      /* 0x210 */
    uint8_t loadflags;           /* 0x211 */
    uint16_t setup_move_size;    /* 0x212 */
    uint32_t code32_start;       /* 0x214 */
    uint32_t ramdisk_image;      /* 0x218 */
    uint32_t ramdisk_size;       /* 0x21c */
    uint32_t bootsect_kludge;    /* 0x220 */
    uint16_t heap_end_ptr;       /* 0x224 */
    uint8_t ext_loader_ver;      /* 0x226 */
    uint8_t ext_loader_type;     /* 0x227 */
    uint32_t cmd_line_ptr;       /* 0x228 */
    uint32_t initrd_addr_max;    /* 0x22c */
    uint32_t kernel_alignment;   /* 0x230 */
    uint8_t relocatable_kernel;  /* 0x234 */
    uint8_t min_alignment;       /* 0x235 */
    uint16_t xloadflags;         /* 0x236 */
    uint32_t cmdline_size;       /* 0x238 */
    uint32_t hardware_subarch;   /* 0x23c */
    uint64_t hardware_subarch_data; /* 0x240 */
    uint32_t payload_offset;     /* 0x248 */
    uint32_t payload_length;     /* 0x24c */
    uint64_t setup_data;         /* 0x250 */
    uint64_t pref_address;       /* 0x258 */
    uint32_t init_size;          /* 0x260 */
    uint32_t handover_offset;    /* 0x264 */
    uint32_t kernel_info_offset; /* 0x268 */
} __attribute__((packed));
_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "setup_header size");

/* zero-page.rst */
struct boot_params {
    uint8_t screen_info[0x40];         /* 0x000 */
    uint8_t apm_bios_info[0x14];       /* 0x040 */
    uint8_t _pad2[4];                  /* 0x054 */
    uint64_t tboot_addr;               /* 0x058 */
    uint8_t ist_info[0x10];            /* 0x060 */
    uint64_t acpi_rsdp_addr;           /* 0x070 */
    uint8_t _pad3[8];                  /* 0x078 */
    uint8_t hd0_info[16];              /* 0x080 */
    uint8_t hd1_info[16];              /* 0x090 */
    uint8_t sys_desc_table[0x10];      /* 0x0a0 */
    uint8_t olpc_ofw_header[0x10];     /* 0x0b0 */
    uint32_t ext_ramdisk_image;        /* 0x0c0 */
    uint32_t ext_ramdisk_size;         /* 0x0c4 */
    uint32_t ext_cmd_line_ptr;         /* 0x0c8 */
    uint8_t _pad4[0x13c - 0x0cc];      /* 0x0cc */
    uint32_t cc_blob_address;          /* 0x13c */
    uint8_t edid_info[0x80];           /* 0x140 */
    uint8_t efi_info[0x20];            /* 0x1c0 */
    uint32_t alt_mem_k;                /* 0x1e0 */
    uint32_t scratch;                  /* 0x1e4 */
    uint8_t e820_entries;              /* 0x1e8 */
    uint8_t eddbuf_entries;            /* 0x1e9 */
    uint8_t edd_mbr_sig_buf_entries;   /* 0x1ea */
    uint8_t kbd_status;                /* 0x1eb */
    uint8_t secure_boot;               /* 0x1ec */
    uint8_t _pad5[2];                  /* 0x1ed */
    uint8_t sentinel;                  /* 0x1ef */
    uint8_t _pad6[1];                  /* 0x1f0 */
    struct setup_header hdr;           /* 0x1f1 */
    uint8_t _pad7[0x290 - 0x26c];      /* 0x26c */
    uint32_t edd_mbr_sig_buffer[16];   /* 0x290 */
    struct e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]; /* 0x2d0 */
    uint8_t _pad8[0x1000 - 0xcd0];     /* 0xcd0: eddbuf and padding */
} __attribute__((packed));

_Static_assert(sizeof(struct boot_params) == 4096, "zero page is one page");
_Static_assert(__builtin_offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(__builtin_offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk");
_Static_assert(__builtin_offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(__builtin_offsetof(struct boot_params, hdr) == 0x1f1, "setup header");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.boot_flag) == 0x1fe, "boot_flag");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.header) == 0x202, "header");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.type_of_loader) == 0x210, "loader");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.ramdisk_image) == 0x218, "ramdisk");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.kernel_alignment) == 0x230, "align");
_Static_assert(__builtin_offsetof(struct boot_params, hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(__builtin_offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");

#endif
