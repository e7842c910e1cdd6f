# Unit tests of the kernel's pure-C parts, built for the host.
UNIT_TESTS += kernel_cmdline kernel_stack kernel_bootinfo common_elf
UNIT_SRCS_kernel_cmdline := tests/unit/kernel_cmdline.c kernel/core/cmdline.c kernel/lib/parse.c
UNIT_SRCS_kernel_stack := tests/unit/kernel_stack.c kernel/linux/stack.c
UNIT_SRCS_kernel_bootinfo := tests/unit/kernel_bootinfo.c kernel/boot/bootinfo.c
UNIT_SRCS_common_elf := tests/unit/common_elf.c common/elf.c

# Monitor writes, kernel reads: the boot ABI end to end.
UNIT_TESTS += boot_roundtrip
UNIT_SRCS_boot_roundtrip := tests/unit/boot_roundtrip.c kernel/boot/bootinfo.c \
	vmm/boot/zeropage.c vmm/boot/pvh.c vmm/mem.c

# The initrd: cpio newc archives and gzip (against the host's cpio and gzip).
UNIT_TESTS += kernel_cpio kernel_inflate
UNIT_SRCS_kernel_cpio := tests/unit/kernel_cpio.c kernel/fs/cpio.c
UNIT_SRCS_kernel_inflate := tests/unit/kernel_inflate.c kernel/lib/inflate.c

# The file tree: path resolution, names, links, file data (allocators replaced by malloc).
UNIT_TESTS += kernel_vfs
UNIT_SRCS_kernel_vfs := tests/unit/kernel_vfs.c kernel/fs/vfs.c kernel/fs/ramfs.c

# Firmware tables: the kernel's ACPI and MP table parsers (motevm's MP table writer feeds one).
UNIT_TESTS += kernel_platform
UNIT_SRCS_kernel_platform := tests/unit/kernel_platform.c kernel/drivers/acpi.c \
	kernel/drivers/acpi_dsdt.c \
	kernel/drivers/mptable.c kernel/drivers/platform_defaults.c kernel/lib/parse.c \
	vmm/boot/mptable.c common/mptable.c

# The DSDT scanner for virtio-mmio devices, on QEMU's and motevm's own DSDTs and on garbage.
UNIT_TESTS += kernel_acpi_dsdt
UNIT_SRCS_kernel_acpi_dsdt := tests/unit/kernel_acpi_dsdt.c kernel/drivers/acpi_dsdt.c \
	vmm/acpi/dsdt.c vmm/acpi/aml.c vmm/acpi/tables.c common/mptable.c

# virtio: the virtio_mmio.device= parser and the split virtqueue on host memory.
UNIT_TESTS += kernel_virtio_mmio_param kernel_virtqueue
UNIT_SRCS_kernel_virtio_mmio_param := tests/unit/kernel_virtio_mmio_param.c \
	kernel/drivers/virtio/mmio_param.c
UNIT_SRCS_kernel_virtqueue := tests/unit/kernel_virtqueue.c kernel/drivers/virtio/virtqueue.c
UNIT_TESTS += kernel_page
UNIT_SRCS_kernel_page := tests/unit/kernel_page.c kernel/mm/page.c

# The network address options (ip=, --ip=, ...) and the Internet checksum lwIP uses.
UNIT_TESTS += kernel_net_config
UNIT_SRCS_kernel_net_config := tests/unit/kernel_net_config.c kernel/net/config.c \
	kernel/net/chksum.c kernel/lib/parse.c
