/* MP table helpers; see mptable.h. */
#include "mptable.h"

/* Eight bytes a step: under PVM every instruction of a byte loop is emulated. */
uint8_t mp_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t sum = 0;
    for (; len >= 8; len -= 8, b += 8) {
        uint64_t x;
        __builtin_memcpy(&x, b, 8);
        x = (x & 0x00ff00ff00ff00ffull) + ((x >> 8) & 0x00ff00ff00ff00ffull);
        x += x >> 16;
        x += x >> 32;
        sum += x & 0xffff;
    }
    while (len--)
        sum += *b++;
    return (uint8_t)sum;
}
