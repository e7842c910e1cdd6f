/* CRC32C (Castagnoli; ext4 metadata_csum, ext4 docs §"Checksums") and CRC16 (ANSI; the older
 * gdt_csum), table-driven, tables built on first use. Raw values: no final inversion, as ext4's
 * crc32c_le and e2fsprogs' ext2fs_crc32c_le return them. */
#include "fs/ext4/priv.h"

static uint32_t crc32c_table[8][256];
static uint16_t crc16_table[256];
static bool tables_ready;

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & -(c & 1));
        crc32c_table[0][i] = c;
        uint16_t h = (uint16_t)i;
        for (int k = 0; k < 8; k++)
            h = (uint16_t)((h >> 1) ^ (0xA001u & -(h & 1)));
        crc16_table[i] = h;
    }
    /* slicing by 8: table[k][i] is the CRC of byte i followed by k zero bytes */
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++) {
            uint32_t c = crc32c_table[k - 1][i];
            crc32c_table[k][i] = (c >> 8) ^ crc32c_table[0][c & 0xff];
        }
    tables_ready = true;
}

uint32_t ext4_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (unlikely(!tables_ready))
        make_tables();
    while (len && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint32_t lo = (uint32_t)v ^ crc, hi = (uint32_t)(v >> 32);
        crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
              crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
              crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
              crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (unlikely(!tables_ready))
        make_tables();
    while (len--)
        crc = (uint16_t)((crc >> 8) ^ crc16_table[(crc ^ *p++) & 0xff]);
    return crc;
}
