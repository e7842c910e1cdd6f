# tools/: host programs the build uses.
$(BUILD)/tools/mkbootfs: tools/mkbootfs.c include/abi/bootfs.h
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $<

# fcimage + fcshim: the Firecracker-style (Linux 64-bit) boot of mote.elf on QEMU, for the tests.
FCIMAGE_SRCS := tools/fcimage.c $(filter-out vmm/main.c vmm/machine.c vmm/vmm.c vmm/kvm/% vmm/devices/% vmm/api/% vmm/jail/%,$(VMM_SRCS)) $(COMMON_SRCS)
$(BUILD)/tools/fcimage: $(patsubst %.c,$(BUILD)/vmm/%.o,$(FCIMAGE_SRCS))
	$(call quiet,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -o $@ $^ -lcjson

$(BUILD)/tools/fcshim.elf: tools/fcshim.S tools/fcshim.ld tools/fcimage.h
	$(call quiet,AS,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -Iinclude -I. -c tools/fcshim.S -o $(BUILD)/tools/fcshim.o
	$(Q)ld -m elf_x86_64 -nostdlib -T tools/fcshim.ld --no-warn-rwx-segments -o $@ $(BUILD)/tools/fcshim.o

# acpitables: motevm's ACPI area for given vCPUs and virtio-mmio devices, for iasl in the tests.
ACPITABLES_SRCS := tools/acpitables.c $(filter vmm/acpi/%,$(VMM_SRCS))
$(BUILD)/tools/acpitables: $(patsubst %.c,$(BUILD)/vmm/%.o,$(ACPITABLES_SRCS))
	$(call quiet,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -o $@ $^

all: $(BUILD)/tools/fcimage $(BUILD)/tools/fcshim.elf $(BUILD)/tools/acpitables
