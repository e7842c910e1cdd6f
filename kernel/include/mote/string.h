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
/* Parses an unsigned number (decimal, or hex with 0x); returns 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);

#endif
