# motevm, the monitor (host program), and the floor benchmark (bench/floor.c).
# Objects: $(BUILD)/vmm/<source path>.o, compiled with the host flags.

VMM_SRCS :=
VMM_SRCS += vmm/main.c
VMM_SRCS += vmm/flags.c
VMM_SRCS += vmm/config.c
VMM_SRCS += vmm/config_sections.c
VMM_SRCS += vmm/json.c
VMM_SRCS += vmm/log.c
VMM_SRCS += vmm/metrics.c
VMM_SRCS += vmm/vmm.c
VMM_SRCS += vmm/mem.c
VMM_SRCS += vmm/machine.c
VMM_SRCS += vmm/boot/boot.c
VMM_SRCS += vmm/boot/kernel.c
VMM_SRCS += vmm/boot/zeropage.c
VMM_SRCS += vmm/boot/mptable.c
VMM_SRCS += vmm/boot/tables.c
VMM_SRCS += vmm/boot/regs.c
VMM_SRCS += vmm/boot/pvh.c
VMM_SRCS += vmm/acpi/tables.c
VMM_SRCS += vmm/acpi/dsdt.c
VMM_SRCS += vmm/acpi/aml.c
VMM_SRCS += vmm/kvm/vm.c
VMM_SRCS += vmm/kvm/vcpu.c
VMM_SRCS += vmm/kvm/wake.c
VMM_SRCS += vmm/kvm/cpuid.c
VMM_SRCS += vmm/kvm/msr.c
VMM_SRCS += vmm/kvm/stats.c
VMM_SRCS += vmm/devices/devices.c
VMM_SRCS += vmm/devices/bus.c
VMM_SRCS += vmm/devices/serial.c
VMM_SRCS += vmm/devices/i8042.c
VMM_SRCS += vmm/devices/boot_timer.c
VMM_SRCS += vmm/devices/debug_exit.c
VMM_SRCS += vmm/devices/acpi_sleep.c
VMM_SRCS += vmm/devices/mp_wakeup.c
VMM_SRCS += vmm/devices/virtq.c
VMM_SRCS += vmm/devices/virtio_mmio.c
VMM_SRCS += vmm/devices/virtio_blk.c
VMM_SRCS += vmm/devices/virtio_rng.c
VMM_SRCS += vmm/devices/virtio_net.c
VMM_SRCS += vmm/net/tap.c
VMM_SRCS += vmm/api/http.c
VMM_SRCS += vmm/api/resources.c
VMM_SRCS += vmm/api/server.c
VMM_SRCS += vmm/jail/sandbox.c

VMM_OBJS := $(patsubst %.c,$(BUILD)/vmm/%.o,$(VMM_SRCS) $(COMMON_SRCS))
VMM_LIBS := -lcjson -lseccomp -lpthread

# The jailer: its own small program (libc only), Firecracker's jailer steps.
JAILER_SRCS :=
JAILER_SRCS += vmm/jail/jailer.c
JAILER_SRCS += vmm/jail/cgroup.c
JAILER_SRCS += vmm/jail/libs.c
JAILER_SRCS += common/elf.c

all: $(BUILD)/motevm $(BUILD)/motevm-jailer $(BUILD)/bench/floor

$(BUILD)/motevm-jailer: $(patsubst %.c,$(BUILD)/vmm/%.o,$(JAILER_SRCS))
	$(call quiet,LD,$@)
	$(Q)$(HOST_CC) -o $@ $^

$(BUILD)/motevm: $(VMM_OBJS)
	$(call quiet,LD,$@)
	$(Q)$(HOST_CC) -o $@ $^ $(VMM_LIBS)

$(BUILD)/vmm/%.o: %.c
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/bench/floor: bench/floor.c
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $<
