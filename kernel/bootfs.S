/* The bootfs image (tools/mkbootfs) linked into the kernel: read in place by fs/bootfs.c. */
    .section .bootfs, "a"
    .balign 4096
    .incbin BOOTFS_IMAGE
    .balign 4096
