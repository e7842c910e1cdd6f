/* motevm configuration: Firecracker JSON (vmm/config.c) and command-line flags (vmm/flags.c),
 * good input and each kind of bad input with its exact message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/config.h"
#include "vmm/flags.h"
#include "vmm/log.h"

static char kernel_file[] = "/tmp/vmm_config_kernelXXXXXX";
static char drive_file[] = "/tmp/vmm_config_driveXXXXXX";

static int make_files(void **state)
{
    int a = mkstemp(kernel_file), b = mkstemp(drive_file);
    if (a < 0 || b < 0)
        return -1;
    close(a);
    close(b);
    log_init(LOG_OFF, 2, NULL);
    return 0;
}

static int remove_files(void **state)
{
    unlink(kernel_file);
    unlink(drive_file);
    return 0;
}

static char err[CONFIG_ERR_MAX];

/* Parses json into a fresh config; returns the rc, leaves the message in err. */
static int parse(struct vm_config *c, const char *json)
{
    config_init(c);
    err[0] = '\0';
    return config_parse_json(c, json, err, sizeof(err));
}

static void expect_json_error(const char *json, const char *msg)
{
    struct vm_config c;
    assert_int_equal(parse(&c, json), -EINVAL);
    assert_string_equal(err, msg);
    config_free(&c);
}

static void test_good_json(void **state)
{
    struct vm_config c;
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"boot-source\": {\"kernel_image_path\": \"%s\", \"boot_args\": \"console=ttyS0\"},"
             " \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 256, \"smt\": false,"
             "   \"track_dirty_pages\": true, \"huge_pages\": \"None\"},"
             " \"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\","
             "   \"is_root_device\": true, \"is_read_only\": true, \"cache_type\": \"Unsafe\","
             "   \"io_engine\": \"Sync\", \"rate_limiter\": {}}],"
             " \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\","
             "   \"guest_mac\": \"06:00:AC:10:00:02\"}]}",
             kernel_file, drive_file);
    assert_int_equal(parse(&c, json), 0);
    assert_string_equal(c.kernel_path, kernel_file);
    assert_string_equal(c.cmdline, "console=ttyS0");
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.mem_mib, 256);
    assert_true(c.track_dirty_pages);
    assert_int_equal(c.ndrives, 1);
    assert_string_equal(c.drives[0].id, "rootfs");
    assert_true(c.drives[0].root);
    assert_true(c.drives[0].read_only);
    assert_int_equal(c.nnets, 1);
    assert_true(c.nets[0].has_mac);
    assert_int_equal(c.nets[0].mac[0], 0x06);
    assert_int_equal(c.nets[0].mac[2], 0xac);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    config_free(&c);
}

static void test_default_boot_args(void **state)
{
    struct vm_config c;
    assert_int_equal(parse(&c, "{\"boot-source\": {\"kernel_image_path\": \"k\"}}"), 0);
    assert_string_equal(c.cmdline, FC_DEFAULT_CMDLINE);
    assert_int_equal(c.vcpus, 1);
    assert_int_equal(c.mem_mib, 128);
    config_free(&c);
}

static void test_bad_json(void **state)
{
    expect_json_error("{\n\"boot-source\": {\n,}", "config file: invalid JSON at line 3");
    expect_json_error("[1]", "config file: must be a JSON object");
    expect_json_error("{\"boot-sauce\": {}}", "config file: unknown key \"boot-sauce\"");
    expect_json_error("{\"boot-source\": {}}", "boot-source.kernel_image_path: required");
    expect_json_error("{\"boot-source\": {\"kernel_image_path\": 7}}",
                      "boot-source.kernel_image_path: must be a string");
    expect_json_error("{\"boot-source\": {\"kernel_image_path\": \"k\", \"x\": 1}}",
                      "boot-source.x: unknown field");
    expect_json_error("{\"boot-source\": []}", "boot-source: must be an object");
}

static void test_bad_machine_config(void **state)
{
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 0, \"mem_size_mib\": 128}}",
                      "machine-config.vcpu_count: must be an integer 1-32");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 33, \"mem_size_mib\": 128}}",
                      "machine-config.vcpu_count: must be an integer 1-32");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 1.5, \"mem_size_mib\": 128}}",
                      "machine-config.vcpu_count: must be an integer 1-32");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": \"2\", \"mem_size_mib\": 128}}",
                      "machine-config.vcpu_count: must be an integer 1-32");
    expect_json_error("{\"machine-config\": {\"mem_size_mib\": 128}}",
                      "machine-config.vcpu_count: required");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 0}}",
                      "machine-config.mem_size_mib: must be an integer 1-262144");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 1e12}}",
                      "machine-config.mem_size_mib: must be an integer 1-262144");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 8, "
                      "\"smt\": 1}}",
                      "machine-config.smt: must be true or false");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 3, \"mem_size_mib\": 8, "
                      "\"smt\": true}}",
                      "machine-config.vcpu_count: must be 1 or even when smt is true");
    expect_json_error("{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 8, "
                      "\"huge_pages\": \"1G\"}}",
                      "machine-config.huge_pages: must be \"None\" or \"2M\"");
}

static void test_bad_drives_and_nets(void **state)
{
    expect_json_error("{\"drives\": {}}", "drives: must be an array");
    expect_json_error("{\"drives\": [{\"path_on_host\": \"x\", \"is_root_device\": true}]}",
                      "drives[0].drive_id: required");
    expect_json_error("{\"drives\": [{\"drive_id\": \"a\", \"path_on_host\": \"x\"}]}",
                      "drives[0].is_root_device: required");
    expect_json_error("{\"drives\": [{\"drive_id\": \"a\", \"path_on_host\": \"x\", "
                      "\"is_root_device\": false, \"cache_type\": \"Fast\"}]}",
                      "drives[0].cache_type: must be \"Unsafe\" or \"Writeback\"");
    expect_json_error("{\"network-interfaces\": [{\"iface_id\": \"eth0\", "
                      "\"host_dev_name\": \"tap0\", \"guest_mac\": \"06:00:ac:10:00\"}]}",
                      "network-interfaces[0].guest_mac: must be a MAC address like "
                      "06:00:ac:10:00:02");
    expect_json_error("{\"network-interfaces\": [{\"iface_id\": \"eth0\"}]}",
                      "network-interfaces[0].host_dev_name: required");
}

static void expect_invalid(struct vm_config *c, const char *msg)
{
    assert_int_equal(config_validate(c, err, sizeof(err)) < 0, 1);
    assert_string_equal(err, msg);
}

static void test_validate(void **state)
{
    struct vm_config c;
    char json[1024];

    config_init(&c);
    expect_invalid(&c, "no kernel: give --kernel FILE, a config file with "
                       "boot-source.kernel_image_path, or PUT /boot-source");
    config_set_str(&c.kernel_path, "/nonexistent/vmlinux");
    expect_invalid(&c, "kernel /nonexistent/vmlinux: No such file or directory");
    config_set_str(&c.kernel_path, "/tmp");
    expect_invalid(&c, "kernel /tmp: not a regular file");
    config_set_str(&c.kernel_path, kernel_file);
    config_set_str(&c.initrd_path, "/nonexistent/initrd");
    expect_invalid(&c, "initrd /nonexistent/initrd: No such file or directory");
    config_free(&c);

    snprintf(json, sizeof(json),
             "{\"boot-source\": {\"kernel_image_path\": \"%s\"}, \"drives\": ["
             "{\"drive_id\": \"a\", \"path_on_host\": \"%s\", \"is_root_device\": true},"
             "{\"drive_id\": \"b\", \"path_on_host\": \"%s\", \"is_root_device\": true}]}",
             kernel_file, drive_file, drive_file);
    assert_int_equal(parse(&c, json), 0);
    expect_invalid(&c, "drives: more than one root device (\"a\" and \"b\")");
    config_set_str(&c.drives[1].id, "a");
    expect_invalid(&c, "drive \"a\": duplicate drive_id");
    config_free(&c);

    snprintf(json, sizeof(json),
             "{\"boot-source\": {\"kernel_image_path\": \"%s\"}, \"drives\": ["
             "{\"drive_id\": \"a\", \"path_on_host\": \"/nonexistent/disk\", "
             "\"is_root_device\": false}]}", kernel_file);
    assert_int_equal(parse(&c, json), 0);
    expect_invalid(&c, "drive \"a\": /nonexistent/disk: No such file or directory");
    config_free(&c);

    snprintf(json, sizeof(json),
             "{\"boot-source\": {\"kernel_image_path\": \"%s\"}, \"network-interfaces\": ["
             "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"},"
             "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap1\"}]}", kernel_file);
    assert_int_equal(parse(&c, json), 0);
    expect_invalid(&c, "network interface \"eth0\": duplicate iface_id");
    config_set_str(&c.nets[1].id, "eth1");
    config_set_str(&c.nets[1].host_dev, "tap0");
    expect_invalid(&c, "network interface \"eth1\": host_dev_name \"tap0\" already used");
    config_set_str(&c.nets[1].host_dev, "a-very-long-tap-name");
    expect_invalid(&c, "network interface \"eth1\": host_dev_name longer than 15");
    config_free(&c);

    config_init(&c);
    config_set_str(&c.kernel_path, kernel_file);
    c.huge_pages = true;
    c.mem_mib = 129;
    expect_invalid(&c, "machine-config.mem_size_mib: must be even with huge_pages 2M");
    c.huge_pages = false;
    char *line = malloc(2049);
    memset(line, 'x', 2048);
    line[2048] = '\0';
    config_set_str(&c.cmdline, line);
    expect_invalid(&c, "command line: too long (2048 bytes, at most 2047)");
    line[2047] = '\0';
    config_set_str(&c.cmdline, line);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
    free(line);
    config_free(&c);
}

static int run_flags(struct vm_config *c, enum flags_action *a, int argc, ...);

/* Firecracker's entropy device: present when the section is there (or with --rng). */
static void test_entropy(void **state)
{
    struct vm_config c;
    enum flags_action a;
    assert_int_equal(parse(&c, "{\"boot-source\": {\"kernel_image_path\": \"k\"}}"), 0);
    assert_false(c.rng);
    config_free(&c);
    assert_int_equal(parse(&c, "{\"entropy\": {}}"), 0);
    assert_true(c.rng);
    config_free(&c);
    assert_int_equal(parse(&c, "{\"entropy\": {\"rate_limiter\": {\"bandwidth\": "
                               "{\"size\": 1000, \"refill_time\": 100}}}}"), 0);
    assert_true(c.rng);
    config_free(&c);
    expect_json_error("{\"entropy\": 3}", "entropy: must be an object");
    expect_json_error("{\"entropy\": {\"rate\": 1}}", "entropy.rate: unknown field");
    expect_json_error("{\"entropy\": {\"rate_limiter\": 1}}",
                      "entropy.rate_limiter: must be an object");
    assert_int_equal(run_flags(&c, &a, 3, "--kernel=k", "--rng"), 0);
    assert_true(c.rng);
    config_free(&c);
}

static void test_mac(void **state)
{
    uint8_t mac[6];
    assert_int_equal(config_parse_mac("06:00:ac:10:00:02", mac), 0);
    assert_int_equal(mac[5], 2);
    assert_int_equal(config_parse_mac("06:00:ac:10:00:0g", mac), -EINVAL);
    assert_int_equal(config_parse_mac("06-00-ac-10-00-02", mac), -EINVAL);
    assert_int_equal(config_parse_mac("6:0:ac:10:00:02:", mac), -EINVAL);
    assert_int_equal(config_parse_mac("06:00:ac:10:00:02:03", mac), -EINVAL);
}

/* ---- flags ---- */

static int run_flags(struct vm_config *c, enum flags_action *a, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    argv[0] = "motevm";
    for (int i = 1; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    config_init(c);
    err[0] = '\0';
    return flags_parse(argc, argv, c, a, err, sizeof(err));
}

static void test_short_form(void **state)
{
    struct vm_config c;
    enum flags_action a;
    assert_int_equal(run_flags(&c, &a, 14, "--kernel", "vmlinux", "--initrd=initrd.cpio",
                               "--cmdline", "console=ttyS0 quiet", "--mem=512", "--vcpus", "4",
                               "--boot-protocol=pvh", "--pit", "--drive", "disk.img,ro,id=root",
                               "--net=tap0,mac=06:00:00:00:00:01"),
                     0);
    assert_int_equal(a, FLAGS_RUN);
    assert_string_equal(c.kernel_path, "vmlinux");
    assert_string_equal(c.initrd_path, "initrd.cpio");
    assert_string_equal(c.cmdline, "console=ttyS0 quiet");
    assert_int_equal(c.mem_mib, 512);
    assert_int_equal(c.vcpus, 4);
    assert_int_equal(c.boot, BOOT_PVH);
    assert_true(c.pit);
    assert_int_equal(c.ndrives, 1);
    assert_string_equal(c.drives[0].id, "root");
    assert_string_equal(c.drives[0].path, "disk.img");
    assert_true(c.drives[0].read_only);
    assert_int_equal(c.nnets, 1);
    assert_string_equal(c.nets[0].id, "eth0");
    assert_string_equal(c.nets[0].host_dev, "tap0");
    assert_int_equal(c.nets[0].mac[5], 1);
    config_free(&c);

    assert_int_equal(run_flags(&c, &a, 2, "--kernel=k"), 0);
    assert_string_equal(c.cmdline, ""); /* short form: empty by default */
    assert_int_equal(c.vcpus, 1);
    assert_int_equal(c.mem_mib, 128);
    assert_int_equal(c.boot, BOOT_LINUX64);
    assert_false(c.no_acpi);            /* ACPI tables by default, as Firecracker */
    config_free(&c);

    assert_int_equal(run_flags(&c, &a, 3, "--kernel=k", "--no-acpi"), 0);
    assert_true(c.no_acpi);
    config_free(&c);
    assert_int_equal(run_flags(&c, &a, 3, "--kernel=k", "--no-acpi=1"), -EINVAL);
    config_free(&c);
}

static void test_firecracker_flags(void **state)
{
    struct vm_config c;
    enum flags_action a;
    assert_int_equal(run_flags(&c, &a, 13, "--no-api", "--boot-timer", "--level", "debug",
                               "--log-path=/tmp/x.log", "--id", "vm1", "--metrics-path", "m",
                               "--no-seccomp", "--api-sock", "/tmp/fc.sock"),
                     0);
    assert_true(c.opt.no_api);
    assert_true(c.opt.boot_timer);
    assert_int_equal(c.opt.log_level, LOG_DEBUG);
    assert_string_equal(c.opt.log_path, "/tmp/x.log");
    assert_string_equal(c.opt.id, "vm1");
    assert_string_equal(c.opt.api_sock, "/tmp/fc.sock");
    config_free(&c);

    assert_int_equal(run_flags(&c, &a, 3, "--level=OFF", "--version"), 0);
    assert_int_equal(a, FLAGS_VERSION);
    config_free(&c);
    assert_int_equal(run_flags(&c, &a, 2, "--help"), 0);
    assert_int_equal(a, FLAGS_HELP);
    config_free(&c);
}

static void test_config_file_then_flags(void **state)
{
    char path[] = "/tmp/vmm_config_jsonXXXXXX";
    int fd = mkstemp(path);
    const char *json = "{\"boot-source\": {\"kernel_image_path\": \"vmlinux\"},"
                       " \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 64}}";
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);

    struct vm_config c;
    enum flags_action a;
    /* --mem comes first on the command line, yet overrides the file */
    assert_int_equal(run_flags(&c, &a, 5, "--mem", "32", "--config-file", path, "--no-api"), 0);
    assert_string_equal(c.kernel_path, "vmlinux");
    assert_int_equal(c.vcpus, 2);
    assert_int_equal(c.mem_mib, 32);
    assert_string_equal(c.cmdline, FC_DEFAULT_CMDLINE);
    config_free(&c);
    unlink(path);

    assert_int_equal(run_flags(&c, &a, 3, "--config-file", "/nonexistent.json", "--no-api"),
                     -EINVAL);
    assert_string_equal(err, "config file /nonexistent.json: No such file or directory");
    config_free(&c);
}

static void expect_flag_error(int argc, const char *a1, const char *a2, const char *msg)
{
    struct vm_config c;
    enum flags_action a;
    assert_int_equal(run_flags(&c, &a, argc, a1, a2), -EINVAL);
    assert_string_equal(err, msg);
    config_free(&c);
}

static void test_bad_flags(void **state)
{
    expect_flag_error(2, "--frobnicate", NULL, "--frobnicate: unknown flag (see --help)");
    expect_flag_error(2, "--frob=1", NULL, "--frob: unknown flag (see --help)");
    expect_flag_error(2, "vmlinux", NULL, "vmlinux: unexpected argument (flags start with --)");
    expect_flag_error(2, "--kernel", NULL, "--kernel: missing value");
    expect_flag_error(2, "--kernel=", NULL, "--kernel: missing value");
    expect_flag_error(2, "--pit=1", NULL, "--pit: takes no value");
    expect_flag_error(3, "--vcpus", "0", "--vcpus: must be an integer 1-32");
    expect_flag_error(3, "--vcpus", "33", "--vcpus: must be an integer 1-32");
    expect_flag_error(3, "--vcpus", "2x", "--vcpus: must be an integer 1-32");
    expect_flag_error(3, "--mem", "0", "--mem: must be an integer 1-262144");
    expect_flag_error(3, "--mem", "-5", "--mem: must be an integer 1-262144");
    expect_flag_error(3, "--mem", "99999999999999999999", "--mem: must be an integer 1-262144");
    expect_flag_error(3, "--level", "loud",
                      "--level: must be Error, Warning, Info, Debug, Trace or Off");
    expect_flag_error(3, "--boot-protocol", "bios", "--boot-protocol: must be linux or pvh");
    expect_flag_error(3, "--drive", "disk,rw", "--drive: unknown option \"rw\" (use ro, root, id=ID)");
    expect_flag_error(3, "--drive", ",ro", "--drive: missing path");
    expect_flag_error(3, "--net", "tap0,mac=zz",
                      "--net: mac must be like 06:00:ac:10:00:02, not \"zz\"");
    expect_flag_error(3, "--net", "tap0,vlan=3",
                      "--net: unknown option \"vlan=3\" (use mac=MAC, id=ID)");
}

static void test_log_levels(void **state)
{
    assert_int_equal(log_level_parse("Error"), LOG_ERROR);
    assert_int_equal(log_level_parse("warning"), LOG_WARN);
    assert_int_equal(log_level_parse("WARN"), LOG_WARN);
    assert_int_equal(log_level_parse("info"), LOG_INFO);
    assert_int_equal(log_level_parse("DEBUG"), LOG_DEBUG);
    assert_int_equal(log_level_parse("Trace"), LOG_TRACE);
    assert_int_equal(log_level_parse("off"), LOG_OFF);
    assert_int_equal(log_level_parse("verbose"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_json),
        cmocka_unit_test(test_default_boot_args),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_machine_config),
        cmocka_unit_test(test_bad_drives_and_nets),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_entropy),
        cmocka_unit_test(test_short_form),
        cmocka_unit_test(test_firecracker_flags),
        cmocka_unit_test(test_config_file_then_flags),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_log_levels),
    };
    return cmocka_run_group_tests_name("vmm_config", tests, make_files, remove_files);
}
