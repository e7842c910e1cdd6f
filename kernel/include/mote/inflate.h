/* DEFLATE (RFC 1951) and gzip (RFC 1952) decompression into one flat buffer. Pure C with no
 * allocation: the host unit tests check it against gzip's output. */
#ifndef MOTE_INFLATE_H
#define MOTE_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Decompresses a raw DEFLATE stream in[0..inlen) into out[0..outcap). On success returns 0 and
 * sets *outlen and *used (input bytes consumed, through the last block's final byte). Returns
 * -EINVAL for a corrupt stream, -E2BIG when the output does not fit, -ENODATA when the input
 * ends early. */
int inflate_raw(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen,
                size_t *used);

/* True when buf starts with the gzip magic (1f 8b 08). */
int gzip_detect(const uint8_t *buf, size_t len);
/* The uncompressed size the trailer of the last member claims (ISIZE, modulo 2^32). */
uint32_t gzip_claimed_size(const uint8_t *in, size_t inlen);
/* Decompresses gzip members (one or more, concatenated) into out; checks each member's CRC-32
 * and length. Returns 0 with *outlen set, or a negative errno as inflate_raw (-EBADMSG: CRC or
 * length mismatch). */
int gzip_inflate(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen);

uint32_t crc32_update(uint32_t crc, const uint8_t *buf, size_t len);

#endif
