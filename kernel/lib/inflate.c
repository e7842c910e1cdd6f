/* DEFLATE (RFC 1951) and gzip (RFC 1952) decompression; see inflate.h. Canonical Huffman codes
 * are decoded a bit at a time from per-length counts (RFC 1951 §3.2.2), which needs no tables
 * beyond the symbol lists and keeps every read bounds-checked. */
#include "mote/inflate.h"

#include <errno.h>

#define MAXBITS 15
#define MAXLCODES 286
#define MAXDCODES 30
#define FIXLCODES 288

struct state {
    const uint8_t *in;
    size_t inlen, inpos;
    uint8_t *out;
    size_t outcap, outpos;
    uint32_t bitbuf;
    int bitcnt;
};

struct huffman {
    short count[MAXBITS + 1];
    short symbol[FIXLCODES];
};

static int bits(struct state *s, int need, uint32_t *val)
{
    uint32_t v = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->inpos == s->inlen)
            return -ENODATA;
        v |= (uint32_t)s->in[s->inpos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = v >> need;
    s->bitcnt -= need;
    *val = v & ((1u << need) - 1);
    return 0;
}

static int stored(struct state *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->inlen - s->inpos < 4)
        return -ENODATA;
    const uint8_t *p = s->in + s->inpos;
    unsigned len = p[0] | p[1] << 8, nlen = p[2] | p[3] << 8;
    if (len != (~nlen & 0xffff))
        return -EINVAL;
    s->inpos += 4;
    if (s->inlen - s->inpos < len)
        return -ENODATA;
    if (s->outcap - s->outpos < len)
        return -E2BIG;
    for (unsigned i = 0; i < len; i++)
        s->out[s->outpos + i] = s->in[s->inpos + i];
    s->outpos += len;
    s->inpos += len;
    return 0;
}

static int decode(struct state *s, const struct huffman *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        uint32_t b;
        int rc = bits(s, 1, &b);
        if (rc)
            return rc;
        code |= b;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -EINVAL; /* ran out of codes */
}

/* Builds a decoding table from code lengths. Returns 0 for a complete code, >0 for an incomplete
 * one (allowed only in some places), <0 for an over-subscribed one. */
static int construct(struct huffman *h, const short *length, int n)
{
    short offs[MAXBITS + 1];
    for (int len = 0; len <= MAXBITS; len++)
        h->count[len] = 0;
    for (int sym = 0; sym < n; sym++)
        h->count[length[sym]]++;
    if (h->count[0] == n)
        return 0;
    int left = 1;
    for (int len = 1; len <= MAXBITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return left;
    }
    offs[1] = 0;
    for (int len = 1; len < MAXBITS; len++)
        offs[len + 1] = offs[len] + h->count[len];
    for (int sym = 0; sym < n; sym++)
        if (length[sym] != 0)
            h->symbol[offs[length[sym]]++] = sym;
    return left;
}

static const short len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                   31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const short len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const short dist_base[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const short dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                     6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int codes(struct state *s, const struct huffman *lencode, const struct huffman *distcode)
{
    for (;;) {
        int sym = decode(s, lencode);
        if (sym < 0)
            return sym;
        if (sym < 256) {
            if (s->outpos == s->outcap)
                return -E2BIG;
            s->out[s->outpos++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return 0;
        sym -= 257;
        if (sym >= 29)
            return -EINVAL;
        uint32_t extra;
        int rc = bits(s, len_extra[sym], &extra);
        if (rc)
            return rc;
        size_t len = len_base[sym] + extra;
        int dsym = decode(s, distcode);
        if (dsym < 0)
            return dsym;
        if (dsym >= 30)
            return -EINVAL;
        rc = bits(s, dist_extra[dsym], &extra);
        if (rc)
            return rc;
        size_t dist = dist_base[dsym] + extra;
        if (dist > s->outpos)
            return -EINVAL; /* reaches before the start of the output */
        if (s->outcap - s->outpos < len)
            return -E2BIG;
        uint8_t *d = s->out + s->outpos;
        const uint8_t *from = d - dist;
        for (size_t i = 0; i < len; i++)
            d[i] = from[i];
        s->outpos += len;
    }
}

static int fixed(struct state *s)
{
    static struct huffman lencode, distcode;
    static int built;
    if (!built) {
        short lengths[FIXLCODES];
        int sym = 0;
        for (; sym < 144; sym++)
            lengths[sym] = 8;
        for (; sym < 256; sym++)
            lengths[sym] = 9;
        for (; sym < 280; sym++)
            lengths[sym] = 7;
        for (; sym < FIXLCODES; sym++)
            lengths[sym] = 8;
        construct(&lencode, lengths, FIXLCODES);
        for (sym = 0; sym < MAXDCODES; sym++)
            lengths[sym] = 5;
        construct(&distcode, lengths, MAXDCODES);
        built = 1;
    }
    return codes(s, &lencode, &distcode);
}

static int dynamic(struct state *s)
{
    static const short order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                    11, 4,  12, 3, 13, 2, 14, 1, 15};
    short lengths[MAXLCODES + MAXDCODES];
    struct huffman lencode, distcode;
    uint32_t nlen, ndist, ncode, v;
    int rc;
    if ((rc = bits(s, 5, &nlen)) || (rc = bits(s, 5, &ndist)) || (rc = bits(s, 4, &ncode)))
        return rc;
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > MAXLCODES || ndist > MAXDCODES)
        return -EINVAL;
    int index;
    for (index = 0; index < (int)ncode; index++) {
        if ((rc = bits(s, 3, &v)))
            return rc;
        lengths[order[index]] = (short)v;
    }
    for (; index < 19; index++)
        lengths[order[index]] = 0;
    if (construct(&lencode, lengths, 19) != 0)
        return -EINVAL; /* the code-length code must be complete */

    index = 0;
    while (index < (int)(nlen + ndist)) {
        int sym = decode(s, &lencode);
        if (sym < 0)
            return sym;
        if (sym < 16) {
            lengths[index++] = (short)sym;
            continue;
        }
        short len = 0;
        uint32_t rep;
        if (sym == 16) {
            if (index == 0)
                return -EINVAL; /* nothing to repeat */
            len = lengths[index - 1];
            rc = bits(s, 2, &rep);
            rep += 3;
        } else if (sym == 17) {
            rc = bits(s, 3, &rep);
            rep += 3;
        } else {
            rc = bits(s, 7, &rep);
            rep += 11;
        }
        if (rc)
            return rc;
        if (index + rep > nlen + ndist)
            return -EINVAL;
        while (rep--)
            lengths[index++] = len;
    }
    if (lengths[256] == 0)
        return -EINVAL; /* no end-of-block code */
    rc = construct(&lencode, lengths, nlen);
    if (rc < 0 || (rc > 0 && nlen - lencode.count[0] != 1))
        return -EINVAL;
    rc = construct(&distcode, lengths + nlen, ndist);
    if (rc < 0 || (rc > 0 && ndist - distcode.count[0] != 1))
        return -EINVAL;
    return codes(s, &lencode, &distcode);
}

int inflate_raw(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen,
                size_t *used)
{
    struct state s = {in, inlen, 0, out, outcap, 0, 0, 0};
    uint32_t last, type;
    int rc;
    do {
        if ((rc = bits(&s, 1, &last)) || (rc = bits(&s, 2, &type)))
            return rc;
        if (type == 0)
            rc = stored(&s);
        else if (type == 1)
            rc = fixed(&s);
        else if (type == 2)
            rc = dynamic(&s);
        else
            rc = -EINVAL;
        if (rc)
            return rc;
    } while (!last);
    *outlen = s.outpos;
    *used = s.inpos;
    return 0;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *buf, size_t len)
{
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
    }
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int gzip_detect(const uint8_t *buf, size_t len)
{
    return len >= 3 && buf[0] == 0x1f && buf[1] == 0x8b && buf[2] == 8;
}

uint32_t gzip_claimed_size(const uint8_t *in, size_t inlen)
{
    if (inlen < 4)
        return 0;
    const uint8_t *p = in + inlen - 4;
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

#define FHCRC 2
#define FEXTRA 4
#define FNAME 8
#define FCOMMENT 16

/* RFC 1952 §2.3: skips one member's header; returns its length or a negative errno. */
static long gzip_header(const uint8_t *in, size_t inlen)
{
    if (inlen < 10)
        return -ENODATA;
    if (!gzip_detect(in, inlen))
        return -EINVAL;
    uint8_t flg = in[3];
    if (flg & 0xe0)
        return -EINVAL; /* reserved flags */
    size_t pos = 10;
    if (flg & FEXTRA) {
        if (inlen - pos < 2)
            return -ENODATA;
        size_t xlen = in[pos] | in[pos + 1] << 8;
        pos += 2;
        if (inlen - pos < xlen)
            return -ENODATA;
        pos += xlen;
    }
    for (int f = FNAME; f <= FCOMMENT; f <<= 1) {
        if (!(flg & f))
            continue;
        while (pos < inlen && in[pos])
            pos++;
        if (pos == inlen)
            return -ENODATA;
        pos++;
    }
    if (flg & FHCRC) {
        if (inlen - pos < 2)
            return -ENODATA;
        pos += 2;
    }
    return pos;
}

int gzip_inflate(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen)
{
    size_t pos = 0, total = 0;
    do {
        long hdr = gzip_header(in + pos, inlen - pos);
        if (hdr < 0)
            return (int)hdr;
        pos += hdr;
        size_t n, used;
        int rc = inflate_raw(in + pos, inlen - pos, out + total, outcap - total, &n, &used);
        if (rc)
            return rc;
        pos += used;
        if (inlen - pos < 8)
            return -ENODATA;
        const uint8_t *t = in + pos;
        uint32_t crc = t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24;
        uint32_t isize = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;
        if (crc != crc32_update(0, out + total, n) || isize != (uint32_t)n)
            return -EBADMSG;
        pos += 8;
        total += n;
        /* Padding of zero bytes after the last member is common (dd'd images): stop there. */
    } while (pos < inlen && in[pos] == 0x1f);
    *outlen = total;
    return 0;
}
