/* Round trip across the boot ABI: motevm's zero page and PVH builders (vmm/boot/) write guest
 * memory; the kernel's parser (kernel/boot/bootinfo.c) must read back exactly what was meant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot/bootinfo.h"
#include "vmm/boot/pvh.h"
#include "vmm/boot/zeropage.h"

#define MEM_SIZE 0x30000
static uint8_t mem[MEM_SIZE];
static struct boot_info bi;

static const void *rd(uint64_t paddr, size_t len)
{
    if (paddr >= MEM_SIZE || len > MEM_SIZE - paddr)
        return NULL;
    return mem + paddr;
}

static void check_memory_map(uint64_t ram)
{
    struct e820_entry e[8];
    unsigned n = e820_build(e, 8, ram);
    assert_int_equal(bi.nr_mem, n);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(bi.mem[i].addr, e[i].addr);
        assert_int_equal(bi.mem[i].size, e[i].size);
        assert_int_equal(bi.mem[i].type, e[i].type);
    }
}

static void test_linux_zero_page(void **state)
{
    static const uint64_t sizes[] = {2ull << 20, 128ull << 20, 6ull << 30};
    for (unsigned k = 0; k < 3; k++) {
        memset(mem, 0, sizeof(mem));
        const char *cmd = "reboot=k panic=1 --bootchart /hello a b";
        strcpy((char *)mem + CMDLINE_ADDR, cmd);
        struct zeropage_args a = {sizes[k], (uint32_t)strlen(cmd) + 1, 0x1f00000, 12345,
                                  0xe0000};
        zeropage_build((struct boot_params *)(mem + ZERO_PAGE_ADDR), &a);
        const char *why = NULL;
        assert_int_equal(bootinfo_from_linux(&bi, ZERO_PAGE_ADDR, rd, &why), 0);
        assert_string_equal(bi.cmdline, cmd);
        assert_int_equal(bi.initrd_addr, 0x1f00000);
        assert_int_equal(bi.initrd_size, 12345);
        assert_int_equal(bi.rsdp, 0xe0000);
        check_memory_map(sizes[k]);
    }
}

static void test_linux_no_initrd(void **state)
{
    memset(mem, 0, sizeof(mem));
    strcpy((char *)mem + CMDLINE_ADDR, "/hello");
    struct zeropage_args a = {64ull << 20, 7, 0, 0, 0}; /* --no-acpi */
    zeropage_build((struct boot_params *)(mem + ZERO_PAGE_ADDR), &a);
    const char *why;
    assert_int_equal(bootinfo_from_linux(&bi, ZERO_PAGE_ADDR, rd, &why), 0);
    assert_int_equal(bi.initrd_addr, 0);
    assert_int_equal(bi.initrd_size, 0);
    assert_string_equal(bi.cmdline, "/hello");
    assert_int_equal(bi.rsdp, 0);
}

static void test_pvh_start_info(void **state)
{
    memset(mem, 0, sizeof(mem));
    strcpy((char *)mem + CMDLINE_ADDR, "--nopci /exitcode 3");
    struct pvh_args a = {256ull << 20, 0x8000000, 4096, 0xe0000};
    pvh_build((struct hvm_start_info *)(mem + PVH_INFO_ADDR),
              (struct hvm_modlist_entry *)(mem + PVH_MODLIST_ADDR),
              (struct hvm_memmap_table_entry *)(mem + PVH_MEMMAP_ADDR), &a);
    const char *why = NULL;
    assert_int_equal(bootinfo_from_pvh(&bi, PVH_INFO_ADDR, rd, &why), 0);
    assert_string_equal(bi.cmdline, "--nopci /exitcode 3");
    assert_int_equal(bi.initrd_addr, 0x8000000);
    assert_int_equal(bi.initrd_size, 4096);
    assert_int_equal(bi.rsdp, 0xe0000);
    check_memory_map(256ull << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_zero_page),
        cmocka_unit_test(test_linux_no_initrd),
        cmocka_unit_test(test_pvh_start_info),
    };
    return cmocka_run_group_tests_name("boot_roundtrip", tests, NULL, NULL);
}
