# common/: pure C shared by the monitor and the kernel; each side compiles it with its own flags.
COMMON_SRCS := common/elf.c common/mptable.c
