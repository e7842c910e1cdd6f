# Mote: one non-recursive build for the monitor (vmm/), the kernel (kernel/), the guest programs
# (apps/) and the host unit tests (tests/unit/). Each component adds its rules in its own .mk file.
#
#   make          build build/motevm, build/mote.elf, build/apps/*
#   make run      install what is missing, build, boot hello on motevm (QEMU TCG without /dev/kvm)
#   make test     install what is missing, build, run every test tier
#   make bench    install what is missing (scripts/setup --bench: also a Linux kernel to compare
#                 with), run the benchmarks and write docs/PERFORMANCE.md
#   make fuzz     build the API fuzz target with clang and run it for a fixed count

BUILD := build
V ?= 0
ifeq ($(V),0)
Q := @
quiet = @printf '  %-7s %s\n' $(1) $(2);
else
Q :=
quiet =
endif

HOST_CC ?= gcc
PYTHON ?= /usr/bin/python3
WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iinclude -I. -MMD -MP

.PHONY: all run test bench clean setup unit integration
all:

include common/common.mk
include apps/apps.mk
include vmm/vmm.mk
include tools/tools.mk
include kernel/kernel.mk
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

setup:
	$(Q)scripts/setup

run: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/run-demo

test: setup
	$(Q)$(MAKE) --no-print-directory all unit-bin
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory integration

integration:
	$(Q)$(PYTHON) -m pytest -q -rs tests/integration

bench:
	$(Q)scripts/setup --bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) bench/run.py --out docs/PERFORMANCE.md

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
