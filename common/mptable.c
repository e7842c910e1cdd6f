/* MP table helpers; see mptable.h. */
#include "mptable.h"

/* Eight bytes a step: under PVM every instruction of a byte loop is emulated. The even and odd
 * bytes of each word add into four 16-bit lanes; 128 words (at most 2 x 255 a lane each) fit
 * before a lane could carry into the next. Only the sum modulo 256 matters, so each lane's low
 * byte is all a fold keeps: one multiply adds the four into the top lane. */
uint8_t mp_checksum(const void *p, size_t len)
{
    const uint64_t m = 0x00ff00ff00ff00ffull;
    const uint8_t *b = p;
    uint64_t sum = 0;
    while (len >= 8) {
        size_t words = len / 8 < 128 ? len / 8 : 128;
        uint64_t lanes = 0;
        for (size_t i = 0; i < words; i++, b += 8) {
            uint64_t x;
            __builtin_memcpy(&x, b, 8);
            lanes += (x & m) + ((x >> 8) & m);
        }
        len -= words * 8;
        sum += ((lanes & m) * 0x0001000100010001ull) >> 48;
    }
    while (len--)
        sum += *b++;
    return (uint8_t)sum;
}
