/* The program's initial stack layout (kernel/linux/stack.c) against the x86-64 psABI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/elf64.h"
#include "linux/stack.h"

#define TOP 0x7fffffff0000ull
static uint8_t buf[8192] __attribute__((aligned(16)));

/* Reads a user address of the image. */
static void *at(uint64_t uaddr)
{
    assert_true(uaddr >= TOP - sizeof(buf) && uaddr < TOP);
    return buf + (uaddr - (TOP - sizeof(buf)));
}

static void test_layout(void **state)
{
    const char *argv[] = {"/hello", "a", "bb"};
    const char *envp[] = {"PATH=/bin", "HOME=/"};
    const uint64_t aux[] = {AT_PAGESZ, 4096, AT_ENTRY, 0x401000};
    const uint8_t rnd[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct stack_spec s = {3, argv, 2, envp, aux, 2, "/hello", rnd};
    uint64_t sp;
    long used = stack_build(buf, sizeof(buf), TOP, &s, &sp);
    assert_true(used > 0 && used < (long)sizeof(buf));
    assert_int_equal(sp % 16, 0);
    assert_int_equal(TOP - sp, used);

    uint64_t *w = at(sp);
    assert_int_equal(w[0], 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal((char *)at(w[1 + i]), argv[i]);
    assert_int_equal(w[4], 0);
    assert_string_equal((char *)at(w[5]), "PATH=/bin");
    assert_string_equal((char *)at(w[6]), "HOME=/");
    assert_int_equal(w[7], 0);

    uint64_t *auxv = &w[8];
    int seen_random = 0, seen_execfn = 0, seen_platform = 0, seen_pagesz = 0;
    for (; auxv[0] != AT_NULL; auxv += 2) {
        if (auxv[0] == AT_RANDOM) {
            assert_memory_equal(at(auxv[1]), rnd, 16);
            seen_random = 1;
        } else if (auxv[0] == AT_EXECFN) {
            assert_string_equal((char *)at(auxv[1]), "/hello");
            seen_execfn = 1;
        } else if (auxv[0] == AT_PLATFORM) {
            assert_string_equal((char *)at(auxv[1]), "x86_64");
            seen_platform = 1;
        } else if (auxv[0] == AT_PAGESZ) {
            assert_int_equal(auxv[1], 4096);
            seen_pagesz = 1;
        }
    }
    assert_true(seen_random && seen_execfn && seen_platform && seen_pagesz);
    /* The last 8 bytes below the top are zero (end marker). */
    uint64_t end;
    memcpy(&end, at(TOP - 8), 8);
    assert_int_equal(end, 0);
}

static void test_too_big(void **state)
{
    static char huge[9000];
    memset(huge, 'x', sizeof(huge) - 1);
    const char *argv[] = {huge};
    const uint8_t rnd[16] = {0};
    struct stack_spec s = {1, argv, 0, NULL, NULL, 0, "/p", rnd};
    uint64_t sp;
    assert_true(stack_build(buf, sizeof(buf), TOP, &s, &sp) < 0);
}

static void test_no_env_no_args(void **state)
{
    const char *argv[] = {"/p"};
    const uint8_t rnd[16] = {0};
    struct stack_spec s = {1, argv, 0, NULL, NULL, 0, "/p", rnd};
    uint64_t sp;
    assert_true(stack_build(buf, sizeof(buf), TOP, &s, &sp) > 0);
    uint64_t *w = at(sp);
    assert_int_equal(w[0], 1);
    assert_int_equal(w[2], 0); /* argv NULL */
    assert_int_equal(w[3], 0); /* envp NULL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_no_env_no_args),
    };
    return cmocka_run_group_tests_name("kernel_stack", tests, NULL, NULL);
}
