/* A small AML byte writer (ACPI 6.5 §20, "ACPI Machine Language Specification") for the DSDT
 * motevm generates: names, integers, strings, packages, scopes, devices, methods and resource
 * templates. Writes go into a caller's fixed buffer; the first overflow sets err = -ENOSPC and
 * later writes are dropped, so a builder checks once at the end. */
#ifndef VMM_ACPI_AML_H
#define VMM_ACPI_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml_buf {
    uint8_t *p;
    size_t len, cap;
    int err;                    /* 0, or -ENOSPC after an overflow */
};

/* AML opcodes (§20.2) */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_METHOD 0x14
#define AML_EXT_PREFIX 0x5b
#define AML_DEVICE 0x82          /* after AML_EXT_PREFIX */
#define AML_RETURN 0xa4

void aml_init(struct aml_buf *b, void *buf, size_t cap);

void aml_bytes(struct aml_buf *b, const void *data, size_t len);
void aml_byte(struct aml_buf *b, uint8_t v);

/* A NameString: "_SB_" (one segment), "\\_SB_" (from the root), "_SB_.COM1" (a path).
 * Segments are exactly four characters. */
void aml_name_string(struct aml_buf *b, const char *path);

/* Integer in its shortest encoding: ZeroOp, OneOp, Byte/Word/DWord/QWord constants. */
void aml_integer(struct aml_buf *b, uint64_t v);

/* String constant (NUL-terminated ASCII). */
void aml_string(struct aml_buf *b, const char *s);

/* EISA id such as "PNP0501", as the DWord iasl writes for EisaId(). */
void aml_eisaid(struct aml_buf *b, const char *id);

/* Name(path, <object the caller writes next>). */
void aml_name(struct aml_buf *b, const char *path);

/* Objects with a PkgLength: the opener returns a mark for aml_close, which inserts the length
 * (1-4 bytes, §20.2.4) in front of what was written since. They nest. */
size_t aml_scope_open(struct aml_buf *b, const char *path);
size_t aml_device_open(struct aml_buf *b, const char *path);
size_t aml_method_open(struct aml_buf *b, const char *path, unsigned args, int serialized);
size_t aml_package_open(struct aml_buf *b, unsigned elements);
/* A Buffer holding a resource template (§6.4); aml_resources_close appends the end tag and
 * the buffer size. */
size_t aml_resources_open(struct aml_buf *b);
void aml_resources_close(struct aml_buf *b, size_t mark);
void aml_close(struct aml_buf *b, size_t mark);

/* Resource descriptors (§6.4.2, §6.4.3) */
/* Memory32Fixed(ReadWrite, base, size) */
void aml_memory32_fixed(struct aml_buf *b, uint32_t base, uint32_t size);
/* Interrupt(ResourceConsumer, Edge|Level, ActiveHigh|ActiveLow, Exclusive) {gsi} */
void aml_interrupt(struct aml_buf *b, uint32_t gsi, int edge, int active_low);
/* IO(Decode16, min, max, align, len) */
void aml_io(struct aml_buf *b, uint16_t min, uint16_t max, uint8_t align, uint8_t len);

#endif
