# tools/: host programs the build uses.
$(BUILD)/tools/mkbootfs: tools/mkbootfs.c include/abi/bootfs.h
	$(call quiet,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $<
