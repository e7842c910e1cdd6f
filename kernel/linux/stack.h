/* The program's initial stack, laid out as Linux's create_elf_tables() does (x86-64 psABI §3.4.1):
 *   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs ..., AT_NULL, padding,
 *         16 random bytes, "x86_64", argument and environment strings, the exec path, 8 zero bytes
 *   <- top of stack
 * Pure C: the host unit tests build it. */
#ifndef MOTE_STACK_H
#define MOTE_STACK_H

#include <stddef.h>
#include <stdint.h>

struct stack_spec {
    int argc;
    const char *const *argv;
    int envc;
    const char *const *envp;
    const uint64_t *auxv;  /* pairs (type, value), without AT_RANDOM/AT_EXECFN/AT_PLATFORM/AT_NULL */
    int nauxv;             /* number of pairs */
    const char *execfn;
    const uint8_t *random; /* 16 bytes */
};

/* Builds the stack image in buf, whose last byte sits just below user address top. On success
 * returns the bytes used (the image is buf[size-used .. size)) and sets *sp to the user address of
 * argc (16-byte aligned); returns -E2BIG when it does not fit. */
long stack_build(uint8_t *buf, size_t size, uint64_t top, const struct stack_spec *s,
                 uint64_t *sp);

#endif
