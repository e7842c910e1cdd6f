# apps/: unmodified static Linux programs (musl-gcc -static), run by the kernel at CPL3.
MUSL_CC ?= musl-gcc
APPS := hello exitcode segv pvmsyscall auxv fileio mmapstress pipes bad sysloop signals hostile threads spawn procs \
	cpufeatures ext4io blkfile httpd echo netperf nettest netsig schedbench timers
APP_BINS := $(addprefix $(BUILD)/apps/,$(APPS))

$(BUILD)/apps/%: apps/%.c
	$(call quiet,MUSLCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(MUSL_CC) -static -O2 -Wall -Werror -pthread -o $@ $<

# glibc builds of some (gcc -static), and a static-PIE build of auxv (glibc: Debian's musl-gcc
# has no rcrt1.o, so its -static-pie output cannot relocate itself).
GLIBC_APPS := hello fileio signals threads spawn
APP_BINS += $(addprefix $(BUILD)/apps/,$(addsuffix -glibc,$(GLIBC_APPS))) $(BUILD)/apps/auxv-pie

$(BUILD)/apps/%-glibc: apps/%.c
	$(call quiet,GCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -static -O2 -Wall -Werror -pthread -o $@ $<

$(BUILD)/apps/auxv-pie: apps/auxv.c
	$(call quiet,GCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -static-pie -O2 -Wall -Werror -o $@ $<

all: $(APP_BINS)
