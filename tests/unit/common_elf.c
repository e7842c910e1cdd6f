/* ELF checks shared by monitor and kernel (common/elf.c), on good and broken images. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "abi/elf64.h"
#include "abi/pvh.h"
#include "common/elf.h"

static uint8_t img[8192] __attribute__((aligned(8)));

/* A small valid executable: header, 3 program headers (LOAD, NOTE, INTERP off), a PVH note. */
static size_t build(int with_interp)
{
    memset(img, 0, sizeof(img));
    elf64_ehdr *eh = (elf64_ehdr *)img;
    memcpy(eh->e_ident, ELFMAG, 4);
    eh->e_ident[4] = ELFCLASS64;
    eh->e_ident[5] = ELFDATA2LSB;
    eh->e_ident[6] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = 0x101000;
    eh->e_phoff = 64;
    eh->e_ehsize = 64;
    eh->e_phentsize = sizeof(elf64_phdr);
    eh->e_phnum = with_interp ? 3 : 2;
    elf64_phdr *ph = (elf64_phdr *)(img + 64);
    ph[0] = (elf64_phdr){PT_LOAD, PF_R | PF_X, 0x1000, 0x101000, 0x101000, 0x1000, 0x2000, 0x1000};
    ph[1] = (elf64_phdr){PT_NOTE, PF_R, 0x400, 0, 0, 24, 24, 4};
    uint32_t *n = (uint32_t *)(img + 0x400);
    n[0] = 4;
    n[1] = 8;
    n[2] = XEN_ELFNOTE_PHYS32_ENTRY;
    memcpy(&n[3], "Xen", 4);
    uint64_t entry = 0x100040;
    memcpy(&n[4], &entry, 8);
    if (with_interp) {
        ph[2] = (elf64_phdr){PT_INTERP, PF_R, 0x500, 0, 0, 28, 28, 1};
        memcpy(img + 0x500, "/lib/ld-linux-x86-64.so.2", 26);
    }
    return 0x2000;
}

static void test_good(void **state)
{
    size_t size = build(0);
    struct elf_image e;
    const char *why = NULL;
    assert_int_equal(elf_parse(&e, img, size, &why), 0);
    assert_int_equal(e.phnum, 2);
    const void *desc;
    uint32_t descsz;
    assert_int_equal(elf_find_note(&e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &descsz), 0);
    assert_int_equal(descsz, 8);
    uint64_t entry;
    memcpy(&entry, desc, 8);
    assert_int_equal(entry, 0x100040);
    assert_int_equal(elf_find_note(&e, "Xen", 99, &desc, &descsz), -ENOENT);
    assert_int_equal(elf_find_note(&e, "GNU", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &descsz), -ENOENT);
    assert_null(elf_interp(&e));
}

static void test_interp(void **state)
{
    size_t size = build(1);
    struct elf_image e;
    const char *why;
    assert_int_equal(elf_parse(&e, img, size, &why), 0);
    assert_string_equal(elf_interp(&e), "/lib/ld-linux-x86-64.so.2");
}

#define EXPECT_BAD(mutation, err)                                                                  \
    do {                                                                                           \
        size_t size = build(0);                                                                    \
        elf64_ehdr *eh = (elf64_ehdr *)img;                                                        \
        elf64_phdr *ph = (elf64_phdr *)(img + 64);                                                 \
        (void)eh;                                                                                  \
        (void)ph;                                                                                  \
        mutation;                                                                                  \
        struct elf_image e;                                                                        \
        const char *why = NULL;                                                                    \
        assert_int_equal(elf_parse(&e, img, size, &why), err);                                     \
        assert_non_null(why);                                                                      \
    } while (0)

static void test_broken(void **state)
{
    EXPECT_BAD(img[0] = 'X', -ENOEXEC);                      /* not ELF */
    EXPECT_BAD(size = 3, -ENOEXEC);                          /* too short for magic */
    EXPECT_BAD(size = 40, -EINVAL);                          /* truncated header */
    EXPECT_BAD(eh->e_ident[4] = 1, -ENOEXEC);                /* 32-bit */
    EXPECT_BAD(eh->e_ident[5] = 2, -ENOEXEC);                /* big-endian */
    EXPECT_BAD(eh->e_machine = 183, -ENOEXEC);               /* aarch64 */
    EXPECT_BAD(eh->e_type = 1, -ENOEXEC);                    /* relocatable */
    EXPECT_BAD(eh->e_phnum = 0, -EINVAL);                    /* no program headers */
    EXPECT_BAD(eh->e_phentsize = 32, -EINVAL);               /* wrong phdr size */
    EXPECT_BAD(eh->e_phoff = size - 10, -EINVAL);            /* phdrs past the end */
    EXPECT_BAD(eh->e_phoff = ~0ull - 8, -EINVAL);            /* overflowing offset */
    EXPECT_BAD(ph[0].p_filesz = 0x10000, -EINVAL);           /* segment past the end */
    EXPECT_BAD(ph[0].p_offset = ~0ull, -EINVAL);             /* overflowing segment */
    EXPECT_BAD(ph[0].p_memsz = 0x10, -EINVAL);               /* memsz < filesz */
    EXPECT_BAD(ph[0].p_vaddr = ~0ull - 0x100, -EINVAL);      /* address overflow */
    EXPECT_BAD(ph[0].p_vaddr = 0x101800, -EINVAL);           /* misaligned vs offset */
    EXPECT_BAD(ph[0].p_type = PT_NULL, -EINVAL);             /* no PT_LOAD */
}

static void test_bad_note(void **state)
{
    size_t size = build(0);
    uint32_t *n = (uint32_t *)(img + 0x400);
    n[0] = 1000; /* namesz beyond the segment */
    struct elf_image e;
    const char *why;
    assert_int_equal(elf_parse(&e, img, size, &why), 0);
    const void *desc;
    uint32_t descsz;
    assert_int_equal(elf_find_note(&e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &descsz), -EINVAL);
}

/* build(1) plus a PT_DYNAMIC at 0x600 naming two libraries from a string table that the PT_LOAD
 * holds at vaddr 0x101100 (file 0x1100). */
static size_t build_dynamic(void)
{
    size_t size = build(1);
    elf64_ehdr *eh = (elf64_ehdr *)img;
    elf64_phdr *ph = (elf64_phdr *)(img + 64);
    eh->e_phnum = 4;
    ph[3] = (elf64_phdr){PT_DYNAMIC, PF_R, 0x600, 0, 0, 5 * 16, 5 * 16, 8};
    static const char strtab[] = "\0libcjson.so.1\0libc.so.6\0";
    memcpy(img + 0x1100, strtab, sizeof(strtab));
    elf64_dyn *d = (elf64_dyn *)(img + 0x600);
    d[0] = (elf64_dyn){DT_NEEDED, 1};
    d[1] = (elf64_dyn){DT_STRTAB, 0x101100};
    d[2] = (elf64_dyn){DT_NEEDED, 15};
    d[3] = (elf64_dyn){DT_STRSZ, sizeof(strtab)};
    d[4] = (elf64_dyn){DT_NULL, 0};
    return size;
}

struct seen {
    char names[4][32];
    int n, stop_at;
};

static int record(const char *name, void *arg)
{
    struct seen *s = arg;
    snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
    return ++s->n == s->stop_at ? 7 : 0;
}

static int needed(struct seen *s)
{
    struct elf_image e;
    const char *why;
    assert_int_equal(elf_parse(&e, img, 0x2000, &why), 0);
    memset(s, 0, sizeof(*s));
    return elf_needed(&e, record, s);
}

static void test_needed(void **state)
{
    struct seen s;
    build(0);
    assert_int_equal(needed(&s), 0); /* static: nothing */
    assert_int_equal(s.n, 0);
    build_dynamic();
    assert_int_equal(needed(&s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "libcjson.so.1");
    assert_string_equal(s.names[1], "libc.so.6");
    s.stop_at = 1; /* the callback's non-zero value ends the walk */
    struct elf_image e;
    const char *why;
    assert_int_equal(elf_parse(&e, img, 0x2000, &why), 0);
    s.n = 0;
    assert_int_equal(elf_needed(&e, record, &s), 7);
    assert_int_equal(s.n, 1);
}

static void test_needed_broken(void **state)
{
    struct seen s;
    elf64_phdr *ph = (elf64_phdr *)(img + 64);
    elf64_dyn *d = (elf64_dyn *)(img + 0x600);
    build_dynamic();
    ph[3].p_filesz = 0x10000; /* dynamic segment past the end */
    assert_int_equal(needed(&s), -EINVAL);
    build_dynamic();
    d[1].d_val = 0x200000; /* string table in no loaded segment */
    assert_int_equal(needed(&s), -EINVAL);
    build_dynamic();
    d[3].d_val = 0x2000; /* string table longer than its segment */
    assert_int_equal(needed(&s), -EINVAL);
    build_dynamic();
    d[2].d_val = 500; /* name offset past the table */
    assert_int_equal(needed(&s), -EINVAL);
    build_dynamic();
    img[0x1100 + 25] = 'x'; /* the table's last byte is not a NUL */
    assert_int_equal(needed(&s), -EINVAL);
    build_dynamic();
    d[1] = (elf64_dyn){DT_NEEDED, 1}; /* no DT_STRTAB */
    assert_int_equal(needed(&s), -EINVAL);
    build_dynamic();
    d[1].d_tag = DT_NULL; /* the list ends before DT_STRTAB: one name, no table */
    assert_int_equal(needed(&s), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_interp),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_bad_note),
        cmocka_unit_test(test_needed),
        cmocka_unit_test(test_needed_broken),
    };
    return cmocka_run_group_tests_name("common_elf", tests, NULL, NULL);
}
