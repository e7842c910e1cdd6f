/* lwIP's compiler and platform definitions for Mote (lwIP's doc/sys_arch.txt): a freestanding
 * x86-64 kernel; printk, panic and the kernel's random generator. */
#ifndef MOTE_LWIP_ARCH_CC_H
#define MOTE_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "mote/types.h"

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1 /* gcc's limits.h wants a libc one behind it */
#define INT_MAX __INT_MAX__
#define SSIZE_MAX __LONG_MAX__ /* ssize_t is mote/types.h's long */
#define LWIP_ERRNO_STDINCLUDE 1 /* Linux's values (kernel/include/errno.h) */
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

typedef uint64_t sys_prot_t;

void lwip_mote_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__noreturn void lwip_mote_assert(const char *msg, const char *file, int line);
uint32_t lwip_mote_rand(void);
uint16_t mote_chksum(const void *data, int len);
struct mem;
void *lwip_mote_malloc(size_t size);
void *lwip_mote_calloc(size_t n, size_t size);
void lwip_mote_free(void *p);

#define LWIP_PLATFORM_DIAG(x) do { lwip_mote_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_mote_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() lwip_mote_rand()
#define mem_clib_malloc lwip_mote_malloc
#define mem_clib_calloc lwip_mote_calloc
#define mem_clib_free lwip_mote_free

#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

#endif
