/* The physical page allocator (kernel/mm/page.c), page_alloc_contig in particular. "Physical"
 * addresses here are host addresses minus DIRECT_MAP, so phys_to_virt gives the host buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/bootparam.h"
#include "boot/bootinfo.h"
#include "mote/mm.h"
#include "mote/printk.h"

char __kernel_phys_start[1], __kernel_phys_end[1];
int console_loglevel;

void printk(int level, const char *fmt, ...)
{
}

#define RANGE_PAGES 16

static paddr_t fake_phys(void *host)
{
    return (paddr_t)(uintptr_t)host - DIRECT_MAP;
}

static void test_contig(void **state)
{
    /* Two RAM ranges: 16 pages, then 16 more elsewhere. */
    char *a = aligned_alloc(PAGE_SIZE, RANGE_PAGES * PAGE_SIZE);
    char *b = aligned_alloc(PAGE_SIZE, RANGE_PAGES * PAGE_SIZE);
    memset(a, 0xaa, RANGE_PAGES * PAGE_SIZE);
    memset(b, 0xbb, RANGE_PAGES * PAGE_SIZE);
    static struct boot_info bi;
    bi.nr_mem = 2;
    bi.mem[0] = (struct boot_mem){fake_phys(a), RANGE_PAGES * PAGE_SIZE, E820_RAM};
    bi.mem[1] = (struct boot_mem){fake_phys(b), RANGE_PAGES * PAGE_SIZE, E820_RAM};
    page_init(&bi);
    assert_int_equal(page_free_count(), 2 * RANGE_PAGES);

    assert_int_equal(page_alloc_contig(0), 0);
    paddr_t p1 = page_alloc_dirty();
    assert_int_equal(p1, fake_phys(a));
    /* 12 contiguous pages still fit in the first range, zeroed. */
    paddr_t p2 = page_alloc_contig(12);
    assert_int_equal(p2, fake_phys(a + PAGE_SIZE));
    for (size_t i = 0; i < 12 * PAGE_SIZE; i++)
        assert_int_equal(((char *)phys_to_virt(p2))[i], 0);
    assert_int_equal(page_free_count(), 2 * RANGE_PAGES - 13);
    /* 4 do not (3 left): they come from the second range; the 3 stay for single pages. */
    paddr_t p3 = page_alloc_contig(4);
    assert_int_equal(p3, fake_phys(b));
    assert_int_equal(page_alloc(), fake_phys(a + 13 * PAGE_SIZE));
    /* Too many for any range. */
    assert_int_equal(page_alloc_contig(RANGE_PAGES), 0);
    /* Given back one page at a time, they are reused. */
    page_free(p3);
    assert_int_equal(page_alloc(), p3);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contig),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
