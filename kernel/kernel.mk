# kernel/: the Mote kernel, freestanding, linked into build/mote.elf with the bootfs of apps/.

KERNEL_CC ?= gcc
KERNEL_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-jump-tables \
	-nostdinc -isystem $(shell $(KERNEL_CC) -print-file-name=include) \
	-Ikernel/include -Ikernel -Iinclude -I. -MMD -MP

KERNEL_SRCS :=
KERNEL_SRCS += kernel/arch/x86_64/entry.S
KERNEL_SRCS += kernel/arch/x86_64/traps.S
KERNEL_SRCS += kernel/arch/x86_64/cpu.c
KERNEL_SRCS += kernel/arch/x86_64/traps.c
KERNEL_SRCS += kernel/arch/x86_64/tsc.c
KERNEL_SRCS += kernel/arch/x86_64/pic.c
KERNEL_SRCS += kernel/arch/x86_64/apic.c
KERNEL_SRCS += kernel/arch/x86_64/thread.c
KERNEL_SRCS += kernel/arch/x86_64/smp.c
KERNEL_SRCS += kernel/arch/x86_64/trampoline.S
KERNEL_SRCS += kernel/arch/x86_64/pci_conf.c
KERNEL_SRCS += kernel/boot/bootinfo.c
KERNEL_SRCS += kernel/core/main.c
KERNEL_SRCS += kernel/core/cmdline.c
KERNEL_SRCS += kernel/core/printk.c
KERNEL_SRCS += kernel/core/bootchart.c
KERNEL_SRCS += kernel/core/irq.c
KERNEL_SRCS += kernel/core/sched.c
KERNEL_SRCS += kernel/core/sync.c
KERNEL_SRCS += kernel/core/entropy.c
KERNEL_SRCS += kernel/mm/page.c
KERNEL_SRCS += kernel/mm/paging.c
KERNEL_SRCS += kernel/mm/heap.c
KERNEL_SRCS += kernel/mm/uspace.c
KERNEL_SRCS += kernel/drivers/uart8250.c
KERNEL_SRCS += kernel/drivers/power.c
KERNEL_SRCS += kernel/drivers/drivers.c
KERNEL_SRCS += kernel/drivers/pci.c
KERNEL_SRCS += kernel/drivers/block.c
KERNEL_SRCS += kernel/drivers/virtio/virtio.c
KERNEL_SRCS += kernel/drivers/virtio/virtqueue.c
KERNEL_SRCS += kernel/drivers/virtio/mmio.c
KERNEL_SRCS += kernel/drivers/virtio/mmio_param.c
KERNEL_SRCS += kernel/drivers/virtio/pci.c
KERNEL_SRCS += kernel/drivers/virtio/pci_legacy.c
KERNEL_SRCS += kernel/drivers/virtio/pci_modern.c
KERNEL_SRCS += kernel/drivers/virtio/blk.c
KERNEL_SRCS += kernel/drivers/virtio/rng.c
KERNEL_SRCS += kernel/drivers/virtio/net.c
KERNEL_SRCS += kernel/drivers/acpi.c
KERNEL_SRCS += kernel/drivers/acpi_dsdt.c
KERNEL_SRCS += kernel/drivers/mptable.c
KERNEL_SRCS += kernel/drivers/platform.c
KERNEL_SRCS += kernel/drivers/platform_defaults.c
KERNEL_SRCS += kernel/fs/bootfs.c
KERNEL_SRCS += kernel/fs/cpio.c
KERNEL_SRCS += kernel/fs/vfs.c
KERNEL_SRCS += kernel/fs/ramfs.c
KERNEL_SRCS += kernel/fs/dev.c
KERNEL_SRCS += kernel/fs/pipe.c
KERNEL_SRCS += kernel/fs/ready.c
KERNEL_SRCS += kernel/fs/initrd.c
KERNEL_SRCS += kernel/fs/ext4/alloc.c
KERNEL_SRCS += kernel/fs/ext4/blkdev.c
KERNEL_SRCS += kernel/fs/ext4/cache.c
KERNEL_SRCS += kernel/fs/ext4/crc.c
KERNEL_SRCS += kernel/fs/ext4/dir.c
KERNEL_SRCS += kernel/fs/ext4/extent.c
KERNEL_SRCS += kernel/fs/ext4/file.c
KERNEL_SRCS += kernel/fs/ext4/group.c
KERNEL_SRCS += kernel/fs/ext4/indirect.c
KERNEL_SRCS += kernel/fs/ext4/inode.c
KERNEL_SRCS += kernel/fs/ext4/namei.c
KERNEL_SRCS += kernel/fs/ext4/ops.c
KERNEL_SRCS += kernel/fs/ext4/port.c
KERNEL_SRCS += kernel/fs/ext4/super.c
KERNEL_SRCS += kernel/fs/ext4/vfs_glue.c
KERNEL_SRCS += kernel/linux/exec.c
KERNEL_SRCS += kernel/linux/stack.c
KERNEL_SRCS += kernel/linux/process.c
KERNEL_SRCS += kernel/linux/syscall.c
KERNEL_SRCS += kernel/linux/sys_socket.c
KERNEL_SRCS += kernel/linux/sys_proc.c
KERNEL_SRCS += kernel/linux/sys_signal.c
KERNEL_SRCS += kernel/linux/sys_mem.c
KERNEL_SRCS += kernel/linux/sys_time.c
KERNEL_SRCS += kernel/linux/sys_timer.c
KERNEL_SRCS += kernel/linux/sys_file.c
KERNEL_SRCS += kernel/linux/sys_path.c
KERNEL_SRCS += kernel/linux/sys_stat.c
KERNEL_SRCS += kernel/linux/sys_poll.c
KERNEL_SRCS += kernel/net/net.c
KERNEL_SRCS += kernel/net/config.c
KERNEL_SRCS += kernel/net/sys_arch.c
KERNEL_SRCS += kernel/net/chksum.c
KERNEL_SRCS += kernel/net/socket.c
KERNEL_SRCS += kernel/net/sockopt.c
KERNEL_SRCS += kernel/lib/inflate.c
KERNEL_SRCS += kernel/lib/random.c
KERNEL_SRCS += kernel/tests/ktest.c
KERNEL_SRCS += kernel/tests/ext4_test.c
KERNEL_SRCS += kernel/tests/smp_test.c
KERNEL_SRCS += kernel/tests/timer_test.c
KERNEL_SRCS += kernel/tests/sched_bench.c
KERNEL_SRCS += kernel/tests/virtio_blk_test.c
KERNEL_SRCS += kernel/tests/blk_bench.c
KERNEL_SRCS += kernel/tests/entropy_test.c
KERNEL_SRCS += kernel/tests/net_test.c
KERNEL_SRCS += kernel/lib/string.c
KERNEL_SRCS += kernel/lib/parse.c
KERNEL_SRCS += kernel/lib/vsnprintf.c
KERNEL_SRCS += $(COMMON_SRCS)

KERNEL_OBJS := $(patsubst %,$(BUILD)/kernel-obj/%.o,$(KERNEL_SRCS))
KERNEL_OBJS += $(BUILD)/kernel-obj/syscall_names.c.o
include kernel/net/lwip.mk

# Names of the system calls, for the one-line "not implemented" report: from the host's
# Linux UAPI header (linux-libc-dev, part of build-essential).
UNISTD_H := $(firstword $(wildcard /usr/include/x86_64-linux-gnu/asm/unistd_64.h /usr/include/asm/unistd_64.h))
$(BUILD)/kernel-gen/syscall_names.c: $(UNISTD_H) kernel/kernel.mk
	$(call quiet,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q){ echo '/* Generated from $(UNISTD_H). */'; \
	  echo 'const char *const syscall_names[] = {'; \
	  awk '/^#define __NR_[a-z0-9_]+ [0-9]+$$/ { n = $$2; sub("__NR_", "", n); \
	       printf "    [%d] = \"%s\",\n", $$3, n }' $<; \
	  echo '};'; \
	  echo 'const unsigned syscall_names_count = sizeof(syscall_names) / sizeof(syscall_names[0]);'; \
	} > $@

$(BUILD)/kernel-obj/syscall_names.c.o: $(BUILD)/kernel-gen/syscall_names.c
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(KERNEL_CC) $(KERNEL_CFLAGS) -Wno-missing-prototypes -c $< -o $@

# The bootfs linked into the image: hello first (the default program), then the test programs.
# `make image APP=path/to/static-binary` links a different program as the default.
BOOTFS_FILES := /hello=$(BUILD)/apps/hello /exitcode=$(BUILD)/apps/exitcode \
	/segv=$(BUILD)/apps/segv /pvmsyscall=$(BUILD)/apps/pvmsyscall \
	/cpufeatures=$(BUILD)/apps/cpufeatures /echo=$(BUILD)/apps/echo

$(BUILD)/bootfs.img: $(BUILD)/tools/mkbootfs $(APP_BINS)
	$(call quiet,BOOTFS,$@)
	$(Q)$(BUILD)/tools/mkbootfs -o $@ $(BOOTFS_FILES)

$(BUILD)/kernel-obj/bootfs.o: kernel/bootfs.S $(BUILD)/bootfs.img
	$(call quiet,AS,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(KERNEL_CC) $(KERNEL_CFLAGS) -DBOOTFS_IMAGE='"$(BUILD)/bootfs.img"' -c $< -o $@

$(BUILD)/kernel-obj/%.c.o: %.c
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(KERNEL_CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel-obj/%.S.o: %.S
	$(call quiet,AS,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(KERNEL_CC) $(KERNEL_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/mote.elf: $(KERNEL_OBJS) $(BUILD)/kernel-obj/bootfs.o kernel/kernel.ld
	$(call quiet,LD,$@)
	$(Q)ld -m elf_x86_64 -nostdlib -T kernel/kernel.ld -z max-page-size=0x1000 -z noexecstack \
		--no-warn-rwx-segments -o $@ $(KERNEL_OBJS) $(BUILD)/kernel-obj/bootfs.o

all: $(BUILD)/mote.elf

# make image APP=path/to/static-binary [APP_ARGS="a b"]: build/image/mote.elf, whose bootfs holds
# that program (the default when the command line names none) and its default arguments.
.PHONY: image
ifneq ($(APP),)
IMAGE := $(BUILD)/image
$(IMAGE)/args: FORCE
	$(Q)mkdir -p $(dir $@)
	$(Q)printf '%s' '$(APP_ARGS)' > $@.new; cmp -s $@.new $@ || mv $@.new $@; rm -f $@.new

$(IMAGE)/bootfs.img: $(BUILD)/tools/mkbootfs $(APP) $(IMAGE)/args
	$(call quiet,BOOTFS,$@)
	$(Q)$(BUILD)/tools/mkbootfs -o $@ /$(notdir $(APP))=$(APP) /.args=$(IMAGE)/args

$(IMAGE)/bootfs.o: kernel/bootfs.S $(IMAGE)/bootfs.img
	$(call quiet,AS,$@)
	$(Q)$(KERNEL_CC) $(KERNEL_CFLAGS) -DBOOTFS_IMAGE='"$(IMAGE)/bootfs.img"' -c $< -o $@

$(IMAGE)/mote.elf: $(KERNEL_OBJS) $(IMAGE)/bootfs.o kernel/kernel.ld
	$(call quiet,LD,$@)
	$(Q)ld -m elf_x86_64 -nostdlib -T kernel/kernel.ld -z max-page-size=0x1000 -z noexecstack \
		--no-warn-rwx-segments -o $@ $(KERNEL_OBJS) $(IMAGE)/bootfs.o

image: $(IMAGE)/mote.elf
	@echo "$(IMAGE)/mote.elf: runs /$(notdir $(APP)) $(APP_ARGS) by default"
else
image:
	@echo "usage: make image APP=path/to/static-binary [APP_ARGS=\"arguments\"]"; exit 2
endif
.PHONY: FORCE
FORCE:
