/* The kernel command line, OSv style: kernel options first, then the program and its arguments
 * (`--bootchart --nopci /hello a b`). Linux-style `key=value` tokens are kept for drivers
 * (`virtio_mmio.device=`, `ip=`), as are Linux module flags (`i8042.noaux`, value ""); `init=/prog`
 * names the program too; `--` ends the options. What a monitor appends after the program
 * (`virtio_mmio.device=...`, Firecracker's `root=/dev/vda ro|rw`) stays a kernel parameter.
 * Pure C (host unit tests build it). */
#ifndef MOTE_CMDLINE_H
#define MOTE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX_ARGS 64
#define CMDLINE_MAX_PARAMS 32
#define CMDLINE_MAX_ENV 32
#define CMDLINE_MAX_UNKNOWN 8
#define CMDLINE_MAX_TEST_ARGS 8
#define CMDLINE_MAX_MOUNTS 4
#define CMDLINE_MAX_NET 8

struct cmdline {
    bool bootchart, nopci, noacpi, strace;
    const char *test;                   /* --test=NAME: run an in-kernel test suite instead */
    int loglevel;                       /* -1: not given */
    const char *params[CMDLINE_MAX_PARAMS]; /* "key=value" kept for drivers, in order */
    int nparams;
    const char *env[CMDLINE_MAX_ENV];   /* from --env=K=V */
    int nenv;
    const char *argv[CMDLINE_MAX_ARGS + 1]; /* the program and its arguments, NULL-terminated */
    int argc;
    const char *unknown[CMDLINE_MAX_UNKNOWN]; /* options we did not understand */
    int nunknown;
    bool truncated;                     /* more arguments or parameters than fit */
    const char *test_args[CMDLINE_MAX_TEST_ARGS]; /* --test-arg=X, in order */
    int ntest_args;
    const char *rootfs;                 /* --rootfs=/dev/vda: an ext4 disk as / */
    const char *mounts[CMDLINE_MAX_MOUNTS]; /* --mount=/dev/vdb:/data */
    int nmounts;
    const char *net[CMDLINE_MAX_NET];   /* OSv's --ip=, --defaultgw=, --nameserver= (net/config.c) */
    int nnet;
};

/* Splits buf in place (it must stay alive) and fills *cl. Double quotes group words. */
void cmdline_parse(struct cmdline *cl, char *buf);

/* Returns the value of the last "key=value" parameter with this key, or NULL. */
const char *cmdline_param(const struct cmdline *cl, const char *key);

/* Removes every parameter with this key; drivers consume what they use. Returns how many. */
int cmdline_consume(struct cmdline *cl, const char *key);

#endif
