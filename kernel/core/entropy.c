/* The entropy pool; see mote/entropy.h. A small buffer of source bytes: no whitening yet, the
 * sources (virtio-rng: the host's getrandom) are trusted as they are. */
#include <errno.h>

#include "mote/entropy.h"
#include "mote/sched.h"
#include "mote/string.h"

#define MAX_SOURCES 4
#define POOL_BYTES 64

static struct {
    const char *name;
    entropy_read_fn read;
    void *ctx;
} sources[MAX_SOURCES];
static unsigned nsources;
static uint8_t pool[POOL_BYTES];
static size_t pool_fill, pool_mix;
static struct mutex pool_lock = MUTEX_INIT; /* sources sleep: a mutex, not a spinlock */

int entropy_add_source(const char *name, entropy_read_fn read, void *ctx)
{
    if (nsources == MAX_SOURCES)
        return -ENOMEM;
    sources[nsources].name = name;
    sources[nsources].read = read;
    sources[nsources].ctx = ctx;
    nsources++;
    return 0;
}

unsigned entropy_source_count(void)
{
    return nsources;
}

const char *entropy_source_name(unsigned i)
{
    return i < nsources ? sources[i].name : NULL;
}

static void add_locked(const void *buf, size_t len)
{
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        pool[pool_mix] ^= b[i];
        pool_mix = (pool_mix + 1) % POOL_BYTES;
    }
    pool_fill = MIN(POOL_BYTES, pool_fill + len);
}

static ssize_t get_locked(void *buf, size_t len)
{
    uint8_t *out = buf;
    size_t done = 0;
    /* The pool first (its bytes are handed out once), then the sources directly. */
    while (done < len && pool_fill) {
        pool_fill--;
        out[done++] = pool[pool_fill];
        pool[pool_fill] = 0;
    }
    if (done < len && nsources == 0)
        return -ENODEV;
    for (int tries = 0; done < len && tries < 64; tries++) {
        unsigned s = (unsigned)tries % nsources;
        ssize_t n = sources[s].read(sources[s].ctx, out + done, len - done);
        if (n > 0)
            done += (size_t)n;
    }
    return done == len ? (ssize_t)len : -EIO;
}

void entropy_add(const void *buf, size_t len)
{
    mutex_lock(&pool_lock);
    add_locked(buf, len);
    mutex_unlock(&pool_lock);
}

ssize_t entropy_get(void *buf, size_t len)
{
    mutex_lock(&pool_lock);
    ssize_t n = get_locked(buf, len);
    mutex_unlock(&pool_lock);
    return n;
}
