/* Random bytes for the program (getrandom, /dev/urandom, AT_RANDOM). Until the virtio entropy
 * device lands this is NOT cryptographic: a xorshift generator seeded from, and stirred with, the
 * TSC. Documented in docs/linux-abi.md. */
#ifndef MOTE_RANDOM_H
#define MOTE_RANDOM_H

#include "mote/types.h"

void random_fill(void *buf, size_t len);

#endif
