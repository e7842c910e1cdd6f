/* The kernel's entropy pool (core/entropy.c): bytes from hardware sources (virtio-rng), handed
 * out to whoever asks (later getrandom). Sources are read when the pool runs dry. */
#ifndef MOTE_ENTROPY_H
#define MOTE_ENTROPY_H

#include "mote/types.h"

/* A source fills buf with up to len bytes and returns how many (or a negative errno). */
typedef ssize_t (*entropy_read_fn)(void *ctx, void *buf, size_t len);

/* Drivers: adds a source. Returns 0 or -ENOMEM. */
int entropy_add_source(const char *name, entropy_read_fn read, void *ctx);
/* Mixes bytes into the pool (XOR into a small buffer; credited as that many bytes). */
void entropy_add(const void *buf, size_t len);
/* Fills buf with len bytes from the pool and the sources. Returns len, or -ENODEV when there is
 * no source, or -EIO when the sources failed. */
ssize_t entropy_get(void *buf, size_t len);
unsigned entropy_source_count(void);
const char *entropy_source_name(unsigned i);

#endif
