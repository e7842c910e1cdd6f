/* The Internet checksum (RFC 1071) for lwIP (LWIP_CHKSUM in lwipopts.h): 64-bit words added with
 * carry, 64 bytes a loop iteration, so a full-size frame costs a few hundred instructions
 * instead of lwIP's portable 16-bit loop's few thousand. Returns the ones' complement sum of the
 * 16-bit words in memory order, folded to 16 bits, not complemented: what lwIP's
 * lwip_standard_chksum returns. Unaligned loads are fine on x86. */
#include "arch/cc.h"

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

uint16_t mote_chksum(const void *data, int len)
{
    const uint8_t *p = data;
    uint64_t sum = 0;
    size_t n = len > 0 ? (size_t)len : 0;
    size_t blocks = n / 64;
    if (blocks) {
        /* lea and dec leave the carry flag alone: one chain of adc across the loop. */
        __asm__("clc\n"
                "1:\n\t"
                "adcq 0(%[p]), %[sum]\n\t"
                "adcq 8(%[p]), %[sum]\n\t"
                "adcq 16(%[p]), %[sum]\n\t"
                "adcq 24(%[p]), %[sum]\n\t"
                "adcq 32(%[p]), %[sum]\n\t"
                "adcq 40(%[p]), %[sum]\n\t"
                "adcq 48(%[p]), %[sum]\n\t"
                "adcq 56(%[p]), %[sum]\n\t"
                "leaq 64(%[p]), %[p]\n\t"
                "decq %[n]\n\t"
                "jnz 1b\n\t"
                "adcq $0, %[sum]"
                : [sum] "+r"(sum), [p] "+r"(p), [n] "+r"(blocks)
                :
                : "cc", "memory");
        n &= 63;
    }
    while (n >= 8) {
        uint64_t w = load64(p);
        sum += w;
        sum += sum < w;
        p += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    if (n & 4) {
        uint32_t w;
        __builtin_memcpy(&w, p, 4);
        tail = w;
        p += 4;
    }
    if (n & 2) {
        uint16_t w;
        __builtin_memcpy(&w, p, 2);
        tail += (uint64_t)w << ((n & 4) ? 32 : 0);
        p += 2;
    }
    if (n & 1)
        tail += (uint64_t)*p << ((n & 4) ? 32 : 0) << ((n & 2) ? 16 : 0);
    sum += tail;
    sum += sum < tail;
    /* fold 64 -> 16 */
    uint64_t s = (sum & 0xffffffff) + (sum >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}
