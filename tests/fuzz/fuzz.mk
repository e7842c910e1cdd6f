# libFuzzer target for the API's HTTP+JSON path (tests/fuzz/api_fuzz.c), built with clang.
#   make fuzz            build it and run FUZZ_RUNS inputs from the seed corpus (a few seconds)
#   make fuzz FUZZ_RUNS=-1 FUZZ_TIME=600  fuzz for ten minutes
FUZZ_CC ?= clang
FUZZ_RUNS ?= 100000
FUZZ_TIME ?= 0
FUZZ_FLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -Iinclude -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_SRCS := tests/fuzz/api_fuzz.c vmm/api/http.c vmm/api/resources.c vmm/config.c \
	vmm/config_sections.c vmm/json.c vmm/log.c vmm/metrics.c

$(BUILD)/fuzz/api_fuzz: $(FUZZ_SRCS) $(wildcard vmm/api/*.h vmm/*.h)
	$(call quiet,CLANG,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS) -lcjson

.PHONY: fuzz fuzz-bin
fuzz-bin: $(BUILD)/fuzz/api_fuzz

fuzz: fuzz-bin
	$(Q)mkdir -p $(BUILD)/fuzz/corpus
	$(Q)$(BUILD)/fuzz/api_fuzz -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus tests/fuzz/corpus
