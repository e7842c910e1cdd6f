/* MP table helpers shared by the monitor (writer) and the kernel (reader). MP spec 1.4 §4. */
#ifndef COMMON_MPTABLE_H
#define COMMON_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Byte sum modulo 256; a valid table sums to 0 (MP tables and ACPI tables alike). */
uint8_t mp_checksum(const void *p, size_t len);

#endif
