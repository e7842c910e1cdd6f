/* MP table helpers; see mptable.h. */
#include "mptable.h"

uint8_t mp_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    while (len--)
        sum += *b++;
    return sum;
}
