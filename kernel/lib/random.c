/* Non-cryptographic random bytes; see random.h. xorshift64* (Vigna 2014), stirred with the TSC
 * on every call so two boots differ. */
#include "mote/random.h"

#include "mote/x86.h"

static uint64_t state;

void random_fill(void *buf, size_t len)
{
    state ^= rdtsc() * 0x9e3779b97f4a7c15ull;
    if (!state)
        state = 0x853c49e6748fea9bull;
    uint8_t *p = buf;
    while (len) {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        uint64_t v = state * 0x2545f4914f6cdd1dull;
        if (len >= 8) { /* a word at a time (little-endian: the same bytes as the loop below) */
            __builtin_memcpy(p, &v, 8);
            p += 8;
            len -= 8;
            continue;
        }
        for (; len; len--, v >>= 8)
            *p++ = (uint8_t)v;
    }
}
