/* Freestanding string and memory functions (lib/string.c). */
#ifndef MOTE_STRING_H
#define MOTE_STRING_H

#include "mote/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
bool str_starts(const char *s, const char *prefix);
/* Appends src at dst (no bound: the caller sized dst) and returns the end (at its NUL). */
char *str_put(char *dst, const char *src);
/* Appends v in lowercase hex, at least digits digits, and returns the end (at its NUL). A few
 * instructions a digit, for names built at boot (snprintf costs hundreds). */
char *str_put_hex(char *dst, uint64_t v, unsigned digits);
/* The first of n aligned 32-bit (64-bit) words at p equal to v, or NULL: one repne scasl
 * (scasq), for signatures in firmware areas, where a loop would cost a few emulated instructions
 * per word under PVM. Inline: the host unit tests of the table parsers use them too. */
static inline const uint32_t *memfind32(const uint32_t *p, uint32_t v, size_t n)
{
    if (!n)
        return NULL;
    __asm__ volatile("repne scasl" : "+D"(p), "+c"(n) : "a"(v) : "memory", "cc");
    return p[-1] == v ? p - 1 : NULL;
}

static inline const uint64_t *memfind64(const uint64_t *p, uint64_t v, size_t n)
{
    if (!n)
        return NULL;
    __asm__ volatile("repne scasq" : "+D"(p), "+c"(n) : "a"(v) : "memory", "cc");
    return p[-1] == v ? p - 1 : NULL;
}

/* The first of n 64-bit words at p not equal to v, or NULL: one repe scasq (for sparse tables:
 * page tables, descriptor tables). */
static inline const uint64_t *memskip64(const uint64_t *p, uint64_t v, size_t n)
{
    if (!n)
        return NULL;
    __asm__ volatile("repe scasq" : "+D"(p), "+c"(n) : "a"(v) : "memory", "cc");
    return p[-1] != v ? p - 1 : NULL;
}

/* Parses an unsigned number (decimal, or hex with 0x); returns 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);

#endif
