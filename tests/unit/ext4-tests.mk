# The ext4 core (kernel/fs/ext4) on the host: images made by stock mke2fs, checked by e2fsck.
EXT4_CORE_SRCS := $(sort $(wildcard kernel/fs/ext4/*.c))

UNIT_TESTS += ext4_image
UNIT_SRCS_ext4_image := tests/unit/ext4_image.c tests/unit/ext4_util.c $(EXT4_CORE_SRCS)

UNIT_TESTS += ext4_bad
UNIT_SRCS_ext4_bad := tests/unit/ext4_bad.c tests/unit/ext4_util.c $(EXT4_CORE_SRCS)
