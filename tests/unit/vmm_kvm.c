/* motevm's KVM data shaping without /dev/kvm: CPUID normalisation per vCPU, the boot MSR list,
 * and the binary-stats parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/msr.h"
#include "vmm/kvm/stats.h"

#define CAP 16

static struct kvm_cpuid2 *table(void)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CAP * sizeof(c->entries[0]));
    struct kvm_cpuid_entry2 *e = c->entries;
    unsigned n = 0;
    e[n++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0xffff0001,
                                        .ecx = 1u << 15, .edx = 1u << 28 };
    /* leaf 4: L1d, L2, L3, end */
    e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0, .flags = 1,
                                        .eax = (1 << 5) | 1 | (0x3fu << 26) };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 1, .flags = 1,
                                        .eax = (2 << 5) | 3 };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 2, .flags = 1,
                                        .eax = (3 << 5) | 3 };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 3, .flags = 1, .eax = 0 };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 6, .eax = 4, .ecx = 1 };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 0xa, .eax = 0x07300402 };
    for (unsigned i = 0; i < 3; i++)
        e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = i, .flags = 1,
                                            .eax = 9, .ebx = 9, .ecx = 9, .edx = 9 };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001,
                                        .ebx = 0x4b4d564b };
    e[n++] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x1234 };
    c->nent = n;
    return c;
}

static void test_cpuid_leaf1(void **state)
{
    struct kvm_cpuid2 *c = table();
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 3, .count = 4,
                                                      .tsc_khz = 2500000 });
    struct kvm_cpuid_entry2 *e = cpuid_find(c, 1, 0);
    assert_int_equal(e->ebx >> 24, 3);            /* APIC id */
    assert_int_equal((e->ebx >> 16) & 0xff, 4);   /* logical processors */
    assert_int_equal((e->ebx >> 8) & 0xff, 8);    /* CLFLUSH 64 bytes */
    assert_int_equal(e->ebx & 0xff, 1);           /* brand index kept */
    assert_true(e->ecx & (1u << 24));
    assert_true(e->ecx & (1u << 31));
    assert_false(e->ecx & (1u << 15));
    assert_true(e->edx & (1u << 28));
    free(c);

    c = table();
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 0, .count = 1 });
    assert_false(cpuid_find(c, 1, 0)->edx & (1u << 28)); /* one vCPU: no HTT */
    free(c);
}

static void test_cpuid_topology(void **state)
{
    struct kvm_cpuid2 *c = table();
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 5, .count = 6, .smt = true });
    struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xb, 0);
    assert_int_equal(e->eax, 1);
    assert_int_equal(e->ebx, 2);
    assert_int_equal(e->ecx, 0x100);
    assert_int_equal(e->edx, 5);
    e = cpuid_find(c, 0xb, 1);
    assert_int_equal(e->eax, 3);                  /* 6 vCPUs need 3 bits */
    assert_int_equal(e->ebx, 6);
    assert_int_equal(e->ecx, 0x201);
    assert_int_equal(e->edx, 5);
    e = cpuid_find(c, 0xb, 2);
    assert_int_equal(e->eax, 0);
    assert_int_equal(e->ebx, 0);
    assert_int_equal(e->ecx, 2);
    assert_int_equal(e->edx, 5);

    e = cpuid_find(c, 4, 0);                      /* L1: shared by 2 threads, 3 cores */
    assert_int_equal((e->eax >> 14) & 0xfff, 1);
    assert_int_equal(e->eax >> 26, 2);
    e = cpuid_find(c, 4, 2);                      /* L3: shared by all 6 */
    assert_int_equal((e->eax >> 14) & 0xfff, 5);
    assert_int_equal(cpuid_find(c, 4, 3)->eax, 0);
    free(c);
}

static void test_cpuid_zeroed_leaves(void **state)
{
    struct kvm_cpuid2 *c = table();
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 0, .count = 1 });
    struct kvm_cpuid_entry2 *e = cpuid_find(c, 6, 0);
    assert_int_equal(e->eax | e->ebx | e->ecx | e->edx, 0);
    e = cpuid_find(c, 0xa, 0);
    assert_int_equal(e->eax | e->ebx | e->ecx | e->edx, 0);
    assert_int_equal(cpuid_find(c, 0x40000001, 0)->eax, 0x1234); /* KVM features kept */
    free(c);
}

static void test_cpuid_timing_leaf(void **state)
{
    struct kvm_cpuid2 *c = table();
    unsigned before = c->nent;
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 0, .count = 1,
                                                      .tsc_khz = 2100000 });
    assert_int_equal(c->nent, before + 1);
    struct kvm_cpuid_entry2 *t = cpuid_find(c, 0x40000010, 0);
    assert_non_null(t);
    assert_int_equal(t->eax, 2100000);
    assert_int_equal(t->ebx, 1000000);
    assert_int_equal(cpuid_find(c, 0x40000000, 0)->eax, 0x40000010);
    assert_int_equal(cpuid_find(c, 0x40000000, 0)->ebx, 0x4b4d564b);

    /* normalising again updates the leaf in place */
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 0, .count = 1, .tsc_khz = 7 });
    assert_int_equal(c->nent, before + 1);
    assert_int_equal(cpuid_find(c, 0x40000010, 0)->eax, 7);
    free(c);

    /* unknown TSC frequency: no leaf */
    c = table();
    cpuid_normalize(c, CAP, &(struct cpuid_topology){ .index = 0, .count = 1, .tsc_khz = 0 });
    assert_int_equal(c->nent, before);
    assert_null(cpuid_find(c, 0x40000010, 0));
    free(c);
}

static void test_msrs(void **state)
{
    struct kvm_msr_entry e[BOOT_MSR_COUNT];
    assert_int_equal(msr_boot_entries(e), BOOT_MSR_COUNT);
    int found = 0;
    for (unsigned i = 0; i < BOOT_MSR_COUNT; i++) {
        if (e[i].index == MSR_IA32_MISC_ENABLE) {
            assert_int_equal(e[i].data, 1);
            found++;
        } else if (e[i].index == MSR_MTRR_DEF_TYPE) {
            assert_int_equal(e[i].data, (1 << 11) | 6);
            found++;
        } else {
            assert_int_equal(e[i].data, 0);
        }
    }
    assert_int_equal(found, 2);
    assert_int_equal(e[0].index, 0x174);
}

/* A stats file image: header, three descriptors (name_size 32), data. */
static void test_stats_format(void **state)
{
    enum { NAME = 32 };
    size_t dsize = sizeof(struct kvm_stats_desc) + NAME;
    uint8_t descs[3 * (sizeof(struct kvm_stats_desc) + NAME)];
    uint64_t data[4] = { 7, 12, 99, 5 };
    const char *names[3] = { "io_exits", "exits", "halt_poll_fail_hist" };
    const uint32_t offsets[3] = { 0, 8, 16 };
    const uint16_t sizes[3] = { 1, 1, 2 };
    memset(descs, 0, sizeof(descs));
    for (int i = 0; i < 3; i++) {
        struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsize);
        d->size = sizes[i];
        d->offset = offsets[i];
        strcpy(d->name, names[i]);
    }
    struct kvm_stats_header h = { .name_size = NAME, .num_desc = 3 };
    char out[256];
    assert_int_equal(stats_format(&h, descs, sizeof(descs), (uint8_t *)data, sizeof(data),
                                  out, sizeof(out)), 2);
    assert_string_equal(out, "exits=12 io_exits=7");

    /* a descriptor pointing past the data is skipped, not read */
    ((struct kvm_stats_desc *)descs)->offset = 4096;
    assert_int_equal(stats_format(&h, descs, sizeof(descs), (uint8_t *)data, sizeof(data),
                                  out, sizeof(out)), 1);
    assert_string_equal(out, "exits=12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid_leaf1),
        cmocka_unit_test(test_cpuid_topology),
        cmocka_unit_test(test_cpuid_zeroed_leaves),
        cmocka_unit_test(test_cpuid_timing_leaf),
        cmocka_unit_test(test_msrs),
        cmocka_unit_test(test_stats_format),
    };
    return cmocka_run_group_tests_name("vmm_kvm", tests, NULL, NULL);
}
