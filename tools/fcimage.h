/* The file fcimage writes and fcshim reads (see tools/fcimage.c). */
#ifndef TOOLS_FCIMAGE_H
#define TOOLS_FCIMAGE_H

#define FCIMAGE_MAGIC "MOTEIMG1"
#define FCIMAGE_STAGE 0x4000000      /* where QEMU's loader puts the file: 64 MiB */
#define FCIMAGE_MAX_RAM (32ull << 20) /* guest RAM it may hold: below the shim at 32 MiB */

#ifndef __ASSEMBLER__
#include <stdint.h>
struct fcimage_header {
    char magic[8];
    uint64_t entry;    /* RIP: the kernel ELF's e_entry */
    uint64_t ram_size; /* bytes of guest RAM that follow the header */
    uint64_t mailbox;  /* RAM mailbox the shim's APs poll (0: APs are left to INIT-SIPI) */
    uint8_t pad[4096 - 32];
};
_Static_assert(sizeof(struct fcimage_header) == 4096, "one page");
#endif

#endif
