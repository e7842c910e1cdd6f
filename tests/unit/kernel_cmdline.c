/* Kernel command line splitting (kernel/core/cmdline.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/cmdline.h"

static struct cmdline cl;
static char buf[2048];

static void parse(const char *s)
{
    strcpy(buf, s);
    cmdline_parse(&cl, buf);
}

static void test_osv_style(void **state)
{
    parse("--bootchart --nopci /hello a b");
    assert_true(cl.bootchart);
    assert_true(cl.nopci);
    assert_int_equal(cl.argc, 3);
    assert_string_equal(cl.argv[0], "/hello");
    assert_string_equal(cl.argv[2], "b");
    assert_null(cl.argv[3]);
    assert_int_equal(cl.nunknown, 0);
}

static void test_root_file_systems(void **state)
{
    parse("--rootfs=/dev/vda --mount=/dev/vdb:/data --mount=/dev/vdc:/x/y /app root=/dev/vdz rw");
    assert_int_equal(cl.nunknown, 0);
    assert_string_equal(cl.rootfs, "/dev/vda");
    assert_int_equal(cl.nmounts, 2);
    assert_string_equal(cl.mounts[0], "/dev/vdb:/data");
    assert_string_equal(cl.mounts[1], "/dev/vdc:/x/y");
    assert_string_equal(cmdline_param(&cl, "root"), "/dev/vdz"); /* Firecracker's, after the program */
    assert_int_equal(cl.argc, 1);
}

static void test_network_options(void **state)
{
    /* OSv's network options are collected in order for net/config.c; Linux's ip= stays a
     * parameter. */
    parse("--ip=eth0,10.0.0.2,255.255.255.0 --defaultgw=10.0.0.1 --nameserver=10.0.0.1 "
          "--ip=eth1,10.1.0.2,255.255.0.0 ip=dhcp /app --ip=not-ours");
    assert_int_equal(cl.nunknown, 0);
    assert_int_equal(cl.nnet, 4);
    assert_string_equal(cl.net[0], "--ip=eth0,10.0.0.2,255.255.255.0");
    assert_string_equal(cl.net[1], "--defaultgw=10.0.0.1");
    assert_string_equal(cl.net[3], "--ip=eth1,10.1.0.2,255.255.0.0");
    assert_string_equal(cmdline_param(&cl, "ip"), "dhcp");
    assert_int_equal(cl.argc, 2);
    assert_string_equal(cl.argv[1], "--ip=not-ours"); /* the program's own argument */
    parse("--ip=a --ip=b --ip=c --ip=d --ip=e --ip=f --ip=g --ip=h --ip=i /app");
    assert_int_equal(cl.nnet, CMDLINE_MAX_NET);
    assert_true(cl.truncated);
}

static void test_firecracker_defaults_are_quiet(void **state)
{
    parse("reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd "
          "swiotlb=noforce pci=off /hello");
    assert_int_equal(cl.nunknown, 0);
    assert_true(cl.nopci);
    assert_string_equal(cmdline_param(&cl, "reboot"), "k");
    assert_string_equal(cmdline_param(&cl, "8250.nr_uarts"), "0");
    assert_string_equal(cmdline_param(&cl, "i8042.noaux"), "");
    assert_null(cmdline_param(&cl, "i8042"));
    assert_int_equal(cl.argc, 1);
}

static void test_driver_params_kept_and_consumed(void **state)
{
    parse("virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6 ip=dhcp /x");
    assert_int_equal(cl.nparams, 3);
    assert_string_equal(cmdline_param(&cl, "virtio_mmio.device"), "4K@0xd0001000:6");
    assert_int_equal(cmdline_consume(&cl, "virtio_mmio.device"), 2);
    assert_int_equal(cl.nparams, 1);
    assert_null(cmdline_param(&cl, "virtio_mmio.device"));
    assert_string_equal(cmdline_param(&cl, "ip"), "dhcp");
}

static void test_appended_virtio_mmio_devices_are_parameters(void **state)
{
    parse("--bootchart /prog a virtio_mmio.device=512@0xfeb00e00:12 b "
          "virtio_mmio.device=4K@0xd0000000:5");
    assert_int_equal(cl.argc, 3);
    assert_string_equal(cl.argv[1], "a");
    assert_string_equal(cl.argv[2], "b");
    assert_int_equal(cl.nparams, 2);
    assert_string_equal(cmdline_param(&cl, "virtio_mmio.device"), "4K@0xd0000000:5");
}

static void test_kernel_test_and_its_arguments(void **state)
{
    parse("--test=virtio-blk --test-arg=seed=3 --test-arg=id=disk0 virtio_blk.seg_max=2");
    assert_string_equal(cl.test, "virtio-blk");
    assert_int_equal(cl.ntest_args, 2);
    assert_string_equal(cl.test_args[0], "seed=3");
    assert_string_equal(cl.test_args[1], "id=disk0");
    assert_int_equal(cl.argc, 0);
    assert_int_equal(cl.nunknown, 0);
    assert_string_equal(cmdline_param(&cl, "virtio_blk.seg_max"), "2");
}

static void test_program_arguments_are_verbatim(void **state)
{
    parse("/prog --bootchart x=y -- \"two words\"");
    assert_false(cl.bootchart);
    assert_int_equal(cl.argc, 5);
    assert_string_equal(cl.argv[1], "--bootchart");
    assert_string_equal(cl.argv[2], "x=y");
    assert_string_equal(cl.argv[3], "--");
    assert_string_equal(cl.argv[4], "two words");
}

static void test_monitor_appended_tokens_after_program(void **state)
{
    parse("/hello a virtio_mmio.device=4K@0xd0000000:5 b root=/dev/vda rw");
    assert_int_equal(cl.argc, 3);
    assert_string_equal(cl.argv[1], "a");
    assert_string_equal(cl.argv[2], "b");
    assert_string_equal(cmdline_param(&cl, "virtio_mmio.device"), "4K@0xd0000000:5");
    assert_string_equal(cmdline_param(&cl, "root"), "/dev/vda");
    parse("/prog rw");
    assert_int_equal(cl.argc, 2); /* "rw" is an argument unless it follows root= */
}

static void test_double_dash_and_init(void **state)
{
    parse("--verbose -- prog arg");
    assert_int_equal(cl.loglevel, 7);
    assert_int_equal(cl.argc, 2);
    assert_string_equal(cl.argv[0], "prog");

    parse("init=/sbin/app console=ttyS0");
    assert_int_equal(cl.argc, 1);
    assert_string_equal(cl.argv[0], "/sbin/app");
    assert_string_equal(cmdline_param(&cl, "console"), "ttyS0");
}

static void test_unknown_and_bad_values_reported(void **state)
{
    parse("--frobnicate bogusword loglevel=99 --env=NOEQUALS /p");
    assert_int_equal(cl.nunknown, 4);
    assert_string_equal(cl.unknown[0], "--frobnicate");
    assert_string_equal(cl.unknown[1], "bogusword");
    assert_string_equal(cl.unknown[2], "loglevel=99");
    assert_int_equal(cl.loglevel, -1);
    assert_int_equal(cl.argc, 1);
}

static void test_env_and_empty(void **state)
{
    parse("--env=A=1 --env=B=two");
    assert_int_equal(cl.nenv, 2);
    assert_string_equal(cl.env[1], "B=two");
    assert_int_equal(cl.argc, 0);
    assert_null(cl.argv[0]);

    parse("   ");
    assert_int_equal(cl.argc, 0);
    assert_int_equal(cl.nparams, 0);
}

static void test_too_many_arguments_truncates(void **state)
{
    char *p = buf;
    p += sprintf(p, "/prog");
    for (int i = 0; i < CMDLINE_MAX_ARGS + 10; i++)
        p += sprintf(p, " a%d", i);
    cmdline_parse(&cl, buf);
    assert_true(cl.truncated);
    assert_int_equal(cl.argc, CMDLINE_MAX_ARGS);
    assert_null(cl.argv[CMDLINE_MAX_ARGS]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv_style),
        cmocka_unit_test(test_root_file_systems),
        cmocka_unit_test(test_network_options),
        cmocka_unit_test(test_firecracker_defaults_are_quiet),
        cmocka_unit_test(test_driver_params_kept_and_consumed),
        cmocka_unit_test(test_program_arguments_are_verbatim),
        cmocka_unit_test(test_appended_virtio_mmio_devices_are_parameters),
        cmocka_unit_test(test_kernel_test_and_its_arguments),
        cmocka_unit_test(test_monitor_appended_tokens_after_program),
        cmocka_unit_test(test_double_dash_and_init),
        cmocka_unit_test(test_unknown_and_bad_values_reported),
        cmocka_unit_test(test_env_and_empty),
        cmocka_unit_test(test_too_many_arguments_truncates),
    };
    return cmocka_run_group_tests_name("kernel_cmdline", tests, NULL, NULL);
}
