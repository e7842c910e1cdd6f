# The ext4 core (kernel/fs/ext4) on the host: images made by stock mke2fs, checked by e2fsck.
# The kernel-only files (memory, block layer, VFS) stay out of the host builds.
EXT4_CORE_SRCS := $(filter-out kernel/fs/ext4/port.c kernel/fs/ext4/blkdev.c kernel/fs/ext4/vfs_glue.c,$(sort $(wildcard kernel/fs/ext4/*.c)))

UNIT_TESTS += ext4_image
UNIT_SRCS_ext4_image := tests/unit/ext4_image.c tests/unit/ext4_util.c $(EXT4_CORE_SRCS)

UNIT_TESTS += ext4_bad
UNIT_SRCS_ext4_bad := tests/unit/ext4_bad.c tests/unit/ext4_util.c $(EXT4_CORE_SRCS)

# libFuzzer target over mount + walk + changes (clang -fsanitize=fuzzer,address,undefined).
# make fuzz-ext4 [FUZZ_SECONDS=20]: seeds are small images from stock mke2fs.
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang
$(BUILD)/fuzz/ext4_fuzz: tests/unit/ext4_fuzz.c $(EXT4_CORE_SRCS) $(wildcard kernel/fs/ext4/*.h)
	$(call quiet,FUZZCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-DMOTE_HOST_TEST -Iinclude -I. -iquote kernel -iquote kernel/include \
		tests/unit/ext4_fuzz.c $(EXT4_CORE_SRCS) -o $@

$(BUILD)/fuzz/ext4-seeds/.made:
	$(Q)mkdir -p $(dir $@) $(BUILD)/fuzz/ext4-tree/d/e
	$(Q)echo hello > $(BUILD)/fuzz/ext4-tree/d/e/f; seq 1 3000 > $(BUILD)/fuzz/ext4-tree/big
	$(Q)ln -sf d/e/f $(BUILD)/fuzz/ext4-tree/l
	$(Q)for t in ext4:1024 ext2:1024 ext4:4096 ext4n:1024; do \
		f=$(dir $@)$${t%%:*}-$${t##*:}.img; rm -f $$f; \
		o=; [ $${t%%:*} = ext4n ] && o="-O ^metadata_csum"; \
		mke2fs -q -F -t $$(echo $${t%%:*} | tr -d n) $$o -b $${t##*:} -N 32 -d $(BUILD)/fuzz/ext4-tree $$f \
			$$([ $${t##*:} = 4096 ] && echo 512k || echo 128k) >/dev/null 2>&1 || exit 1; done
	$(Q)touch $@

.PHONY: fuzz-ext4
fuzz-ext4: $(BUILD)/fuzz/ext4_fuzz $(BUILD)/fuzz/ext4-seeds/.made
	$(Q)mkdir -p $(BUILD)/fuzz/ext4-corpus
	$(Q)$(BUILD)/fuzz/ext4_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=524288 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/ext4-corpus \
		$(BUILD)/fuzz/ext4-seeds >$(BUILD)/fuzz/ext4.log 2>&1; st=$$?; \
		grep -E "^(stat::number_of_executed_units|stat::peak_rss|SUMMARY)|ERROR|Done" \
		$(BUILD)/fuzz/ext4.log; exit $$st
