# Unit tests of motevm's pure parts: configuration, boot image, devices, KVM data shaping.
UNIT_TESTS += vmm_config vmm_boot vmm_devices vmm_kvm vmm_acpi vmm_acpi_devices vmm_wake
UNIT_SRCS_vmm_config := tests/unit/vmm_config.c vmm/config.c vmm/config_sections.c vmm/json.c \
	vmm/flags.c vmm/log.c
UNIT_LIBS_vmm_config := -lcjson
UNIT_SRCS_vmm_boot := tests/unit/vmm_boot.c vmm/boot/boot.c vmm/boot/kernel.c \
	vmm/boot/zeropage.c vmm/boot/mptable.c vmm/boot/tables.c vmm/boot/regs.c vmm/boot/pvh.c \
	vmm/acpi/tables.c vmm/acpi/dsdt.c vmm/acpi/aml.c vmm/mem.c common/elf.c common/mptable.c
UNIT_SRCS_vmm_devices := tests/unit/vmm_devices.c vmm/devices/bus.c vmm/devices/serial.c \
	vmm/devices/i8042.c vmm/devices/boot_timer.c vmm/devices/debug_exit.c \
	vmm/devices/acpi_sleep.c vmm/devices/mp_wakeup.c \
	vmm/devices/devices.c vmm/devices/virtq.c vmm/devices/virtio_mmio.c \
	vmm/devices/virtio_blk.c vmm/devices/virtio_rng.c vmm/devices/virtio_net.c vmm/net/tap.c \
	vmm/mem.c vmm/log.c vmm/metrics.c
UNIT_LIBS_vmm_devices := -lpthread
UNIT_SRCS_vmm_kvm := tests/unit/vmm_kvm.c vmm/kvm/cpuid.c vmm/kvm/msr.c vmm/kvm/stats.c

# virtio: the walker, the MMIO transport and the devices, each driven by a fake guest
# (tests/unit/virtio_guest.c) that writes rings into fake RAM and pokes the registers.
VIRTIO_TEST_SRCS := tests/unit/virtio_guest.c vmm/devices/virtq.c vmm/devices/virtio_mmio.c \
	vmm/mem.c vmm/log.c vmm/metrics.c
UNIT_TESTS += vmm_virtq vmm_virtio_mmio vmm_virtio_blk vmm_virtio_rng vmm_virtio_net \
	vmm_virtio_net_tap
UNIT_SRCS_vmm_virtq := tests/unit/vmm_virtq.c $(VIRTIO_TEST_SRCS)
UNIT_LIBS_vmm_virtq := -lpthread
UNIT_SRCS_vmm_virtio_mmio := tests/unit/vmm_virtio_mmio.c $(VIRTIO_TEST_SRCS)
UNIT_LIBS_vmm_virtio_mmio := -lpthread
UNIT_SRCS_vmm_virtio_blk := tests/unit/vmm_virtio_blk.c vmm/devices/virtio_blk.c \
	$(VIRTIO_TEST_SRCS)
UNIT_LIBS_vmm_virtio_blk := -lpthread
UNIT_SRCS_vmm_virtio_rng := tests/unit/vmm_virtio_rng.c vmm/devices/virtio_rng.c \
	$(VIRTIO_TEST_SRCS)
UNIT_LIBS_vmm_virtio_rng := -lpthread
NET_TEST_SRCS := tests/unit/net_guest.c vmm/devices/virtio_net.c vmm/net/tap.c $(VIRTIO_TEST_SRCS)
UNIT_SRCS_vmm_virtio_net := tests/unit/vmm_virtio_net.c $(NET_TEST_SRCS)
UNIT_LIBS_vmm_virtio_net := -lpthread
UNIT_SRCS_vmm_virtio_net_tap := tests/unit/vmm_virtio_net_tap.c $(NET_TEST_SRCS)
UNIT_LIBS_vmm_virtio_net_tap := -lpthread
UNIT_SRCS_vmm_acpi := tests/unit/vmm_acpi.c vmm/acpi/tables.c vmm/acpi/dsdt.c vmm/acpi/aml.c \
	vmm/boot/regs.c vmm/boot/tables.c
UNIT_SRCS_vmm_acpi_devices := tests/unit/vmm_acpi_devices.c vmm/devices/bus.c \
	vmm/devices/acpi_sleep.c vmm/devices/mp_wakeup.c vmm/log.c
UNIT_LIBS_vmm_acpi_devices := -lpthread
UNIT_SRCS_vmm_wake := tests/unit/vmm_wake.c vmm/kvm/wake.c vmm/boot/regs.c vmm/boot/tables.c \
	vmm/log.c
UNIT_LIBS_vmm_wake := -lpthread

# Monitor writes, kernel reads: motevm's ACPI tables through the kernel's ACPI parser.
UNIT_TESTS += acpi_roundtrip
UNIT_SRCS_acpi_roundtrip := tests/unit/acpi_roundtrip.c vmm/acpi/tables.c vmm/acpi/dsdt.c \
	vmm/acpi/aml.c kernel/drivers/acpi.c kernel/drivers/acpi_dsdt.c \
	kernel/drivers/platform_defaults.c kernel/lib/parse.c \
	common/mptable.c
