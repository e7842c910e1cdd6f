/* Boot hand-over parsing (kernel/boot/bootinfo.c): the Linux zero page and PVH start_info, built
 * in a buffer that stands for guest memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/bootparam.h"
#include "abi/pvh.h"
#include "boot/bootinfo.h"
#include "mote/layout.h"

#define MEM_SIZE 0x40000
static uint8_t mem[MEM_SIZE];
static struct boot_info bi;

static const void *rd(uint64_t paddr, size_t len)
{
    if (paddr >= MEM_SIZE || len > MEM_SIZE - paddr)
        return NULL;
    return mem + paddr;
}

static struct boot_params *zero_page(void)
{
    memset(mem, 0, sizeof(mem));
    struct boot_params *bp = (struct boot_params *)(mem + 0x7000);
    bp->hdr.boot_flag = BOOT_FLAG_MAGIC;
    bp->hdr.header = BOOT_HDRS_MAGIC;
    bp->hdr.type_of_loader = 0xff;
    const char *cmd = "--bootchart /hello";
    strcpy((char *)mem + 0x20000, cmd);
    bp->hdr.cmd_line_ptr = 0x20000;
    bp->hdr.cmdline_size = strlen(cmd);
    bp->e820_entries = 3;
    bp->e820_table[0] = (struct e820_entry){0, 0x9fc00, E820_RAM};
    bp->e820_table[1] = (struct e820_entry){0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED};
    bp->e820_table[2] = (struct e820_entry){0x100000, 0x7f00000, E820_RAM};
    bp->hdr.ramdisk_image = 0x7000000;
    bp->hdr.ramdisk_size = 0x1234;
    return bp;
}

static void test_linux_zero_page(void **state)
{
    zero_page();
    const char *why = NULL;
    assert_int_equal(bootinfo_from_linux(&bi, 0x7000, rd, &why), 0);
    assert_int_equal(bi.protocol, BOOT_LINUX64);
    assert_string_equal(bi.cmdline, "--bootchart /hello");
    assert_int_equal(bi.nr_mem, 3);
    assert_int_equal(bi.mem[2].addr, 0x100000);
    assert_int_equal(bi.mem[2].size, 0x7f00000);
    assert_int_equal(bi.mem[1].type, E820_RESERVED);
    assert_int_equal(bi.initrd_addr, 0x7000000);
    assert_int_equal(bi.initrd_size, 0x1234);
}

static void test_linux_cmdline_limited_by_size(void **state)
{
    struct boot_params *bp = zero_page();
    bp->hdr.cmdline_size = 5;
    const char *why;
    assert_int_equal(bootinfo_from_linux(&bi, 0x7000, rd, &why), 0);
    assert_string_equal(bi.cmdline, "--boo");
}

static void test_linux_bad_magic(void **state)
{
    struct boot_params *bp = zero_page();
    bp->hdr.header = 0;
    const char *why = NULL;
    assert_int_equal(bootinfo_from_linux(&bi, 0x7000, rd, &why), -EINVAL);
    assert_non_null(why);
    bp = zero_page();
    bp->hdr.boot_flag = 0x1234;
    assert_int_equal(bootinfo_from_linux(&bi, 0x7000, rd, &why), -EINVAL);
}

static void test_linux_bad_tables(void **state)
{
    struct boot_params *bp = zero_page();
    bp->e820_entries = 200;
    const char *why;
    assert_int_equal(bootinfo_from_linux(&bi, 0x7000, rd, &why), -EINVAL);
    bp = zero_page();
    bp->e820_entries = 0;
    assert_int_equal(bootinfo_from_linux(&bi, 0x7000, rd, &why), -EINVAL);
    /* The zero page outside memory. */
    assert_int_equal(bootinfo_from_linux(&bi, MEM_SIZE - 100, rd, &why), -EINVAL);
}

static void test_pvh(void **state)
{
    memset(mem, 0, sizeof(mem));
    struct hvm_start_info *si = (struct hvm_start_info *)(mem + 0x6000);
    si->magic = HVM_START_MAGIC;
    si->version = 1;
    si->cmdline_paddr = 0x20000;
    strcpy((char *)mem + 0x20000, "/hello x");
    si->nr_modules = 1;
    si->modlist_paddr = 0x6040;
    struct hvm_modlist_entry *mod = (struct hvm_modlist_entry *)(mem + 0x6040);
    mod->paddr = 0x800000;
    mod->size = 4096;
    si->memmap_paddr = 0x7000;
    si->memmap_entries = 2;
    struct hvm_memmap_table_entry *m = (struct hvm_memmap_table_entry *)(mem + 0x7000);
    m[0] = (struct hvm_memmap_table_entry){0, 0x9fc00, E820_RAM, 0};
    m[1] = (struct hvm_memmap_table_entry){0x100000, 0x1000000, E820_RAM, 0};
    si->rsdp_paddr = 0xe0000;

    const char *why = NULL;
    assert_int_equal(bootinfo_from_pvh(&bi, 0x6000, rd, &why), 0);
    assert_int_equal(bi.protocol, BOOT_PVH);
    assert_string_equal(bi.cmdline, "/hello x");
    assert_int_equal(bi.nr_mem, 2);
    assert_int_equal(bi.initrd_addr, 0x800000);
    assert_int_equal(bi.initrd_size, 4096);
    assert_int_equal(bi.rsdp, 0xe0000);

    si->magic = 0xdeadbeef;
    assert_int_equal(bootinfo_from_pvh(&bi, 0x6000, rd, &why), -EINVAL);
    si->magic = HVM_START_MAGIC;
    si->memmap_entries = 100000;
    assert_int_equal(bootinfo_from_pvh(&bi, 0x6000, rd, &why), -EINVAL);
    si->memmap_entries = 0;
    assert_int_equal(bootinfo_from_pvh(&bi, 0x6000, rd, &why), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_zero_page),
        cmocka_unit_test(test_linux_cmdline_limited_by_size),
        cmocka_unit_test(test_linux_bad_magic),
        cmocka_unit_test(test_linux_bad_tables),
        cmocka_unit_test(test_pvh),
    };
    return cmocka_run_group_tests_name("kernel_bootinfo", tests, NULL, NULL);
}
