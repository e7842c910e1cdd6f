/* Freestanding string and memory functions. Copies and fills use one `rep` string instruction:
 * under PVM every CPL0 instruction is emulated, so one instruction beats a loop of them. */
#include "mote/string.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
        return memcpy(dst, src, n);
    /* Overlapping with dst above src: copy backwards. */
    unsigned char *d = (unsigned char *)dst + n - 1;
    const unsigned char *s = (const unsigned char *)src + n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    if ((n & 7) == 0 && c == 0) {
        size_t q = n >> 3;
        __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(0ul) : "memory");
    } else {
        __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    if (!n)
        return 0;
    const unsigned char *x = a, *y = b;
    /* One repe cmpsb; afterwards both pointers are one past the last bytes compared. */
    __asm__ volatile("repe cmpsb" : "+S"(x), "+D"(y), "+c"(n) : : "memory", "cc");
    return x[-1] - y[-1];
}

size_t strlen(const char *s)
{
    /* One repne scasb over the string: one instruction to emulate under PVM, not a loop. */
    const char *p = s;
    size_t n = ~(size_t)0;
    __asm__ volatile("repne scasb" : "+D"(p), "+c"(n) : "a"(0) : "memory", "cc");
    return (size_t)(p - s) - 1;
}

void *memchr(const void *s, int c, size_t n)
{
    if (!n)
        return NULL;
    const unsigned char *p = s;
    __asm__ volatile("repne scasb" : "+D"(p), "+c"(n) : "a"(c) : "memory", "cc");
    return p[-1] == (unsigned char)c ? (void *)(p - 1) : NULL;
}

size_t strnlen(const char *s, size_t max)
{
    if (!max)
        return 0;
    const char *p = s;
    size_t n = max;
    __asm__ volatile("repne scasb" : "+D"(p), "+c"(n) : "a"(0) : "memory", "cc");
    return p[-1] == 0 ? (size_t)(p - s) - 1 : max;
}

int strcmp(const char *a, const char *b)
{
    /* a's length, then one repe cmpsb over it and its NUL: two instructions to emulate under
     * PVM instead of a loop. The compare stops at the first difference, so it reads no further
     * into b than b's NUL. */
    size_t n = strlen(a) + 1;
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    __asm__ volatile("repe cmpsb" : "+S"(x), "+D"(y), "+c"(n) : : "memory", "cc");
    return x[-1] - y[-1];
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

char *str_put(char *dst, const char *src)
{
    while (*src)
        *dst++ = *src++;
    *dst = '\0';
    return dst;
}

char *str_put_hex(char *dst, uint64_t v, unsigned digits)
{
    unsigned n = 1;
    while (n < 16 && (v >> (4 * n)))
        n++;
    if (n < digits)
        n = digits;
    for (unsigned i = n; i-- > 0;)
        *dst++ = "0123456789abcdef"[(v >> (4 * i)) & 15];
    *dst = '\0';
    return dst;
}
