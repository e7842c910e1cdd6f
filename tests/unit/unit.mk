# Host unit tests (cmocka). Each test is one program: UNIT_TESTS += name, with its sources in
# UNIT_SRCS_name (the test file plus the code under test, compiled for the host).
# Component fragments (tests/unit/*.mk) add their tests; this file holds the rules.

UNIT_TESTS :=
include $(sort $(wildcard tests/unit/*-tests.mk))

UNIT_BINS := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))

# Objects for unit tests live under build/host/ (one object per source, host flags).
$(BUILD)/host/%.o: %.c
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -DMOTE_HOST_TEST -iquote kernel -iquote kernel/include -c $< -o $@

define unit_test_rule
$(BUILD)/tests/$(1): $(patsubst %.c,$(BUILD)/host/%.o,$(UNIT_SRCS_$(1)))
	$$(call quiet,LD,$$@)
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(HOST_CC) -o $$@ $$^ -lcmocka $$(UNIT_LIBS_$(1))
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rule,$(t))))

.PHONY: unit-bin unit
unit-bin: $(UNIT_BINS)

unit: unit-bin
	$(Q)fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail
