# Unit tests of motevm's pure parts: configuration, boot image, devices, KVM data shaping.
UNIT_TESTS += vmm_config vmm_boot vmm_devices vmm_kvm
UNIT_SRCS_vmm_config := tests/unit/vmm_config.c vmm/config.c vmm/config_sections.c vmm/json.c \
	vmm/flags.c vmm/log.c
UNIT_LIBS_vmm_config := -lcjson
UNIT_SRCS_vmm_boot := tests/unit/vmm_boot.c vmm/boot/boot.c vmm/boot/kernel.c \
	vmm/boot/zeropage.c vmm/boot/mptable.c vmm/boot/tables.c vmm/boot/regs.c vmm/boot/pvh.c \
	vmm/mem.c common/elf.c common/mptable.c
UNIT_SRCS_vmm_devices := tests/unit/vmm_devices.c vmm/devices/bus.c vmm/devices/serial.c \
	vmm/devices/i8042.c vmm/devices/boot_timer.c vmm/devices/debug_exit.c \
	vmm/devices/devices.c vmm/log.c vmm/metrics.c
UNIT_LIBS_vmm_devices := -lpthread
UNIT_SRCS_vmm_kvm := tests/unit/vmm_kvm.c vmm/kvm/cpuid.c vmm/kvm/msr.c vmm/kvm/stats.c
