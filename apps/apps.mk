# apps/: unmodified static Linux programs (musl-gcc -static), run by the kernel at CPL3.
MUSL_CC ?= musl-gcc
APPS := hello exitcode segv pvmsyscall
APP_BINS := $(addprefix $(BUILD)/apps/,$(APPS))

$(BUILD)/apps/%: apps/%.c
	$(call quiet,MUSLCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(MUSL_CC) -static -O2 -Wall -Werror -o $@ $<

all: $(APP_BINS)
