/* The API resources (vmm/api/resources.c) without a socket or KVM: routing, Firecracker's
 * status codes and fault shape, pre-/post-boot rules, the bodies through the config sections,
 * the actions through fake VMM operations, and the metrics they count. */
#include <cjson/cJSON.h>
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

#include "vmm/api/resources.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

static char kernel_file[] = "/tmp/vmm_api_kernelXXXXXX";
static char drive_file[] = "/tmp/vmm_api_driveXXXXXX";
static char metrics_file[] = "/tmp/vmm_api_metricsXXXXXX";

static struct {
    int starts, cads, pauses, resumes;
    int start_rc;
} ops_seen;

static int fake_start(void *ctx, char *err, size_t errlen)
{
    ops_seen.starts++;
    if (ops_seen.start_rc)
        snprintf(err, errlen, "cannot open /dev/kvm: No such file or directory");
    return ops_seen.start_rc;
}

static int fake_cad(void *ctx, char *err, size_t errlen) { ops_seen.cads++; return 0; }
static int fake_pause(void *ctx, char *err, size_t errlen) { ops_seen.pauses++; return 0; }
static int fake_resume(void *ctx, char *err, size_t errlen) { ops_seen.resumes++; return 0; }
static char changed_to[256];
static int fake_medium(void *ctx, const char *id, const char *path, char *err, size_t errlen)
{
    snprintf(changed_to, sizeof(changed_to), "%s=%s", id, path);
    return 0;
}

static const struct api_ops fake_ops = { NULL, fake_start, fake_cad, fake_pause, fake_resume,
                                         fake_medium };

struct fixture {
    struct vm_config cfg;
    struct api_vmm vmm;
    struct api_response resp;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    config_init(&f->cfg);
    f->vmm = (struct api_vmm){ &f->cfg, API_NOT_STARTED, &fake_ops };
    memset(&ops_seen, 0, sizeof(ops_seen));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->resp.body);
    config_free(&f->cfg);
    free(f);
    return 0;
}

/* Sends one request; returns the status. The response body stays in f->resp. */
static int req(struct fixture *f, enum http_method m, const char *path, const char *body)
{
    free(f->resp.body);
    api_handle(&f->vmm, m, path, strlen(path), body, body ? strlen(body) : 0, &f->resp);
    if (f->resp.status == 400) {
        cJSON *o = cJSON_Parse(f->resp.body);
        assert_non_null(o);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "fault_message")));
        assert_int_equal(cJSON_GetArraySize(o), 1);     /* exactly Firecracker's shape */
        cJSON_Delete(o);
    } else if (f->resp.status == 204) {
        assert_null(f->resp.body);
    }
    return f->resp.status;
}

static void expect_fault(struct fixture *f, enum http_method m, const char *path,
                         const char *body, const char *msg)
{
    assert_int_equal(req(f, m, path, body), 400);
    cJSON *o = cJSON_Parse(f->resp.body);
    const char *fault = cJSON_GetObjectItem(o, "fault_message")->valuestring;
    if (!strstr(fault, msg))
        fail_msg("%s %s: \"%s\" does not contain \"%s\"", http_method_name(m), path, fault,
                 msg);
    cJSON_Delete(o);
}

static char *sprintf_alloc(const char *fmt, const char *a)
{
    char *s = malloc(strlen(fmt) + strlen(a) + 1);
    sprintf(s, fmt, a);
    return s;
}

static void test_gets(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(req(f, HTTP_GET, "/", NULL), 200);
    assert_non_null(strstr(f->resp.body, "\"state\":\"Not started\""));
    assert_non_null(strstr(f->resp.body, "\"id\":\"anonymous-instance\""));
    assert_int_equal(req(f, HTTP_GET, "/version", NULL), 200);
    assert_non_null(strstr(f->resp.body, "firecracker_version"));
    assert_int_equal(req(f, HTTP_GET, "/machine-config", NULL), 200);
    assert_non_null(strstr(f->resp.body, "\"vcpu_count\":1,\"mem_size_mib\":128"));
    assert_int_equal(req(f, HTTP_GET, "/vm/config", NULL), 200);
    assert_non_null(strstr(f->resp.body, "\"boot-source\":null"));
}

static void test_routing(void **state)
{
    struct fixture *f = *state;
    expect_fault(f, HTTP_GET, "/nope", NULL, "Invalid request method and/or path: GET /nope.");
    expect_fault(f, HTTP_DELETE, "/", NULL, "Invalid request method and/or path");
    expect_fault(f, HTTP_GET, "/boot-source", NULL, "Invalid request method");
    expect_fault(f, HTTP_PUT, "/drives", "{}", "Invalid request method");
    expect_fault(f, HTTP_PUT, "/drives/", "{}", "Invalid request method");
    expect_fault(f, HTTP_PUT, "/drives/a/b", "{}", "Invalid request method");
    expect_fault(f, HTTP_PUT, "/machine-config/x", "{}", "Invalid request method");
    expect_fault(f, HTTP_PUT, "/machine-config", NULL, "body is empty");
    expect_fault(f, HTTP_PUT, "/machine-config", "{", "not valid JSON");
    expect_fault(f, HTTP_PUT, "/machine-config", "{} x", "not valid JSON");
    expect_fault(f, HTTP_PUT, "/machine-config", "[]", "must be an object");
    expect_fault(f, HTTP_GET, "/mmds", NULL, "MMDS is not implemented yet");
    expect_fault(f, HTTP_PUT, "/mmds/config", "{}", "MMDS is not implemented yet");
    expect_fault(f, HTTP_PUT, "/balloon", "{}", "balloon device not implemented yet");
    expect_fault(f, HTTP_GET, "/balloon/statistics", NULL, "balloon device");
    expect_fault(f, HTTP_PUT, "/snapshot/create", "{}", "snapshots are not implemented");
}

static void test_machine_config(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(req(f, HTTP_PUT, "/machine-config",
                         "{\"vcpu_count\": 2, \"mem_size_mib\": 256, \"smt\": true}"), 204);
    assert_int_equal(f->cfg.vcpus, 2);
    assert_int_equal(f->cfg.mem_mib, 256);
    assert_true(f->cfg.smt);
    /* PUT: absent optional fields return to their defaults. */
    assert_int_equal(req(f, HTTP_PUT, "/machine-config",
                         "{\"vcpu_count\": 2, \"mem_size_mib\": 256}"), 204);
    assert_false(f->cfg.smt);
    /* PATCH: only what is there. */
    assert_int_equal(req(f, HTTP_PATCH, "/machine-config", "{\"mem_size_mib\": 64}"), 204);
    assert_int_equal(f->cfg.vcpus, 2);
    assert_int_equal(f->cfg.mem_mib, 64);
    expect_fault(f, HTTP_PUT, "/machine-config", "{\"mem_size_mib\": 64}",
                 "machine-config.vcpu_count: required");
    expect_fault(f, HTTP_PUT, "/machine-config", "{\"vcpu_count\": 1}",
                 "machine-config.mem_size_mib: required");
    expect_fault(f, HTTP_PUT, "/machine-config", "{\"vcpu_count\": 33, \"mem_size_mib\": 64}",
                 "must be an integer 1-32");
    expect_fault(f, HTTP_PUT, "/machine-config", "{\"vcpu_count\": \"1\", \"mem_size_mib\": 1}",
                 "must be an integer 1-32");
    expect_fault(f, HTTP_PATCH, "/machine-config", "{\"vcpu_count\": 3, \"smt\": true}",
                 "must be 1 or even when smt is true");
    expect_fault(f, HTTP_PATCH, "/machine-config", "{\"huge_pages\": \"1G\"}", "\"None\" or");
    expect_fault(f, HTTP_PATCH, "/machine-config", "{\"mem_size_mib\": 65, "
                 "\"huge_pages\": \"2M\"}", "must be even with huge_pages 2M");
    expect_fault(f, HTTP_PATCH, "/machine-config", "{\"frob\": 1}",
                 "machine-config.frob: unknown field");
    /* A failed request changes nothing. */
    assert_int_equal(f->cfg.vcpus, 2);
    assert_int_equal(f->cfg.mem_mib, 64);
    assert_int_equal(req(f, HTTP_GET, "/machine-config", NULL), 200);
    assert_non_null(strstr(f->resp.body, "\"vcpu_count\":2,\"mem_size_mib\":64"));
}

static void test_boot_source(void **state)
{
    struct fixture *f = *state;
    char *body = sprintf_alloc("{\"kernel_image_path\": \"%s\", \"boot_args\": \"/hello\"}",
                               kernel_file);
    assert_int_equal(req(f, HTTP_PUT, "/boot-source", body), 204);
    assert_string_equal(f->cfg.kernel_path, kernel_file);
    assert_string_equal(f->cfg.cmdline, "/hello");
    free(body);
    body = sprintf_alloc("{\"kernel_image_path\": \"%s\"}", kernel_file);
    assert_int_equal(req(f, HTTP_PUT, "/boot-source", body), 204);
    assert_non_null(strstr(f->cfg.cmdline, "reboot=k panic=1"));   /* Firecracker's default */
    free(body);
    expect_fault(f, HTTP_PUT, "/boot-source", "{}", "boot-source.kernel_image_path: required");
    expect_fault(f, HTTP_PUT, "/boot-source", "{\"kernel_image_path\": \"/nonexistent\"}",
                 "kernel /nonexistent: No such file or directory");
    body = sprintf_alloc("{\"kernel_image_path\": \"%s\", \"initrd_path\": \"/nope\"}",
                         kernel_file);
    expect_fault(f, HTTP_PUT, "/boot-source", body, "initrd /nope");
    free(body);
    expect_fault(f, HTTP_PUT, "/boot-source", "{\"kernel_image_path\": 1}", "must be a string");
}

static void test_drives_and_nets(void **state)
{
    struct fixture *f = *state;
    char *body = sprintf_alloc("{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\", "
                               "\"is_root_device\": true, \"is_read_only\": false}", drive_file);
    assert_int_equal(req(f, HTTP_PUT, "/drives/rootfs", body), 204);
    assert_int_equal(req(f, HTTP_PUT, "/drives/rootfs", body), 204);    /* replaces */
    assert_int_equal(f->cfg.ndrives, 1);
    expect_fault(f, HTTP_PUT, "/drives/other", body, "does not match \"other\" in the path");
    free(body);
    body = sprintf_alloc("{\"drive_id\": \"data\", \"path_on_host\": \"%s\", "
                         "\"is_root_device\": true}", drive_file);
    expect_fault(f, HTTP_PUT, "/drives/data", body, "a root device already exists");
    free(body);
    expect_fault(f, HTTP_PUT, "/drives/x", "{\"drive_id\": \"x\", \"path_on_host\": \"/nope\", "
                 "\"is_root_device\": false}", "No such file or directory");
    expect_fault(f, HTTP_PUT, "/drives/x", "{\"drive_id\": \"x\", \"is_root_device\": false}",
                 "drives.path_on_host: required");
    expect_fault(f, HTTP_PUT, "/drives/x", "{\"drive_id\": \"x\", \"path_on_host\": \"/\", "
                 "\"is_root_device\": false, \"rate_limiter\": {\"bandwidth\": {\"size\": 1}}}",
                 "drives.rate_limiter.bandwidth.refill_time: required");
    expect_fault(f, HTTP_PATCH, "/drives/rootfs", "{\"drive_id\": \"rootfs\"}",
                 "not supported before starting");
    assert_int_equal(f->cfg.ndrives, 1);
    /* After the start: media change goes to the VMM, and the configuration follows. */
    f->vmm.state = API_RUNNING;
    body = sprintf_alloc("{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\"}", kernel_file);
    assert_int_equal(req(f, HTTP_PATCH, "/drives/rootfs", body), 204);
    free(body);
    assert_non_null(strstr(changed_to, "rootfs=/tmp/vmm_api_kernel"));
    assert_string_equal(f->cfg.drives[0].path, kernel_file);
    expect_fault(f, HTTP_PATCH, "/drives/rootfs", "{\"drive_id\": \"rootfs\", "
                 "\"path_on_host\": \"/nope\"}", "No such file");
    expect_fault(f, HTTP_PATCH, "/drives/rootfs", "{\"drive_id\": \"rootfs\", "
                 "\"rate_limiter\": {}}", "rate limiting is not implemented yet");
    expect_fault(f, HTTP_PATCH, "/drives/other", "{\"drive_id\": \"other\"}",
                 "no drive \"other\"");
    f->vmm.state = API_NOT_STARTED;

    assert_int_equal(req(f, HTTP_PUT, "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", "
                         "\"host_dev_name\": \"tap0\", \"guest_mac\": \"06:00:ac:10:00:02\"}"),
                     204);
    expect_fault(f, HTTP_PUT, "/network-interfaces/eth1", "{\"iface_id\": \"eth1\", "
                 "\"host_dev_name\": \"tap0\"}", "host_dev_name: already used");
    expect_fault(f, HTTP_PUT, "/network-interfaces/eth1", "{\"iface_id\": \"eth1\", "
                 "\"host_dev_name\": \"tap1\", \"guest_mac\": \"06:00:AC:10:00:02\"}",
                 "guest_mac: already used");
    expect_fault(f, HTTP_PUT, "/network-interfaces/eth1", "{\"iface_id\": \"eth1\", "
                 "\"host_dev_name\": \"tap1\", \"guest_mac\": \"xx\"}", "must be a MAC");
    expect_fault(f, HTTP_PUT, "/network-interfaces/eth1", "{\"iface_id\": \"eth1\"}",
                 "host_dev_name: required");
    expect_fault(f, HTTP_PUT, "/network-interfaces/eth1", "{\"iface_id\": \"eth1\", "
                 "\"host_dev_name\": \"a-very-long-tap-name\"}", "longer than 15");
    assert_int_equal(f->cfg.nnets, 1);
    assert_int_equal(req(f, HTTP_GET, "/vm/config", NULL), 200);
    assert_non_null(strstr(f->resp.body, "\"drive_id\":\"rootfs\""));
    assert_non_null(strstr(f->resp.body, "\"guest_mac\":\"06:00:ac:10:00:02\""));
}

static void test_actions_and_life_cycle(void **state)
{
    struct fixture *f = *state;
    expect_fault(f, HTTP_PUT, "/actions", "{}", "actions.action_type: required");
    expect_fault(f, HTTP_PUT, "/actions", "{\"action_type\": \"Reboot\"}",
                 "must be InstanceStart, SendCtrlAltDel or FlushMetrics");
    expect_fault(f, HTTP_PUT, "/actions", "{\"action_type\": \"SendCtrlAltDel\"}",
                 "not supported before starting the microVM");
    expect_fault(f, HTTP_PATCH, "/vm", "{\"state\": \"Paused\"}", "before starting");
    /* A start that fails (no /dev/kvm) leaves the VM not started: it can be retried. */
    ops_seen.start_rc = -ENOENT;
    expect_fault(f, HTTP_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}", "/dev/kvm");
    assert_int_equal(f->vmm.state, API_NOT_STARTED);
    ops_seen.start_rc = 0;
    assert_int_equal(req(f, HTTP_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}"), 204);
    assert_int_equal(ops_seen.starts, 2);
    assert_int_equal(f->vmm.state, API_RUNNING);
    /* Pre-boot resources are refused now. */
    expect_fault(f, HTTP_PUT, "/actions", "{\"action_type\": \"InstanceStart\"}",
                 "not supported after starting the microVM");
    expect_fault(f, HTTP_PUT, "/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 8}",
                 "after starting");
    expect_fault(f, HTTP_PATCH, "/machine-config", "{\"vcpu_count\": 1}", "after starting");
    expect_fault(f, HTTP_PUT, "/boot-source", "{}", "after starting");
    expect_fault(f, HTTP_PUT, "/drives/a", "{}", "after starting");
    expect_fault(f, HTTP_PUT, "/network-interfaces/a", "{}", "after starting");
    expect_fault(f, HTTP_PUT, "/entropy", "{}", "after starting");
    expect_fault(f, HTTP_PUT, "/vsock", "{}", "after starting");
    expect_fault(f, HTTP_PATCH, "/drives/a", "{\"drive_id\": \"a\"}", "no drive \"a\"");
    assert_int_equal(f->cfg.ndrives, 0);
    assert_int_equal(req(f, HTTP_PUT, "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"), 204);
    assert_int_equal(ops_seen.cads, 1);
    assert_int_equal(req(f, HTTP_PATCH, "/vm", "{\"state\": \"Paused\"}"), 204);
    assert_int_equal(req(f, HTTP_GET, "/", NULL), 200);
    assert_non_null(strstr(f->resp.body, "\"state\":\"Paused\""));
    expect_fault(f, HTTP_PATCH, "/vm", "{\"state\": \"Stopped\"}", "must be Paused or Resumed");
    assert_int_equal(req(f, HTTP_PATCH, "/vm", "{\"state\": \"Resumed\"}"), 204);
    assert_int_equal(ops_seen.pauses, 1);
    assert_int_equal(ops_seen.resumes, 1);
}

static void test_vsock_entropy_logger(void **state)
{
    struct fixture *f = *state;
    expect_fault(f, HTTP_PUT, "/vsock", "{\"guest_cid\": 2, \"uds_path\": \"/v.sock\"}",
                 "vsock.guest_cid: must be an integer 3-");
    expect_fault(f, HTTP_PUT, "/vsock", "{\"guest_cid\": 3}", "vsock.uds_path: required");
    expect_fault(f, HTTP_PUT, "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"/v.sock\"}",
                 "vsock device not implemented yet");
    assert_int_equal(req(f, HTTP_PUT, "/entropy", "{}"), 204);
    assert_true(f->cfg.rng);
    expect_fault(f, HTTP_PUT, "/entropy", "{\"rate_limiter\": {\"ops\": 5}}",
                 "entropy.rate_limiter.ops: must be an object");
    assert_int_equal(req(f, HTTP_PUT, "/logger", "{\"level\": \"debug\", \"show_level\": "
                         "false, \"show_log_origin\": true}"), 204);
    assert_int_equal(f->cfg.opt.log_level, LOG_DEBUG);
    assert_false(f->cfg.opt.show_level);
    assert_true(f->cfg.opt.show_log_origin);
    log_set_level(LOG_OFF);
    expect_fault(f, HTTP_PUT, "/logger", "{\"level\": \"loud\"}", "logger.level: must be");
    expect_fault(f, HTTP_PUT, "/logger", "{\"log_path\": \"/nonexistent/dir/log\"}",
                 "logger.log_path: /nonexistent/dir/log: No such file");
    log_init(LOG_OFF, 2, NULL);
}

static void test_metrics(void **state)
{
    struct fixture *f = *state;
    expect_fault(f, HTTP_PUT, "/actions", "{\"action_type\": \"FlushMetrics\"}",
                 "metrics: not configured");
    expect_fault(f, HTTP_PUT, "/metrics", "{}", "metrics.metrics_path: required");
    char *body = sprintf_alloc("{\"metrics_path\": \"%s\"}", metrics_file);
    assert_int_equal(req(f, HTTP_PUT, "/metrics", body), 204);
    expect_fault(f, HTTP_PUT, "/metrics", body, "already configured");
    free(body);
    req(f, HTTP_GET, "/machine-config", NULL);
    assert_int_equal(req(f, HTTP_PUT, "/actions", "{\"action_type\": \"FlushMetrics\"}"), 204);

    FILE *fp = fopen(metrics_file, "r");
    char line[8192];
    assert_non_null(fgets(line, sizeof(line), fp));
    fclose(fp);
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    cJSON *get = cJSON_GetObjectItem(o, "get_api_requests");
    assert_true(cJSON_GetObjectItem(get, "machine_cfg_count")->valuedouble >= 1);
    cJSON *put = cJSON_GetObjectItem(o, "put_api_requests");
    assert_true(cJSON_GetObjectItem(put, "metrics_fails")->valuedouble >= 2);
    assert_non_null(cJSON_GetObjectItem(o, "vcpu"));
    assert_non_null(cJSON_GetObjectItem(o, "i8042"));
    assert_non_null(cJSON_GetObjectItem(o, "utc_timestamp_ms"));
    cJSON_Delete(o);

    /* Counters are per interval: a second line right away counts nothing new. */
    char buf[8192];
    assert_true(metrics_format(buf, sizeof(buf), 0) > 0);
    assert_true(metrics_format(buf, sizeof(buf), 0) > 0);
    assert_non_null(strstr(buf, "\"machine_cfg_count\":0"));
    assert_int_equal(metrics_format(buf, 100, 0), -ENOSPC);
    metrics_set_sink(-1);
}

/* The config file and the API apply a section through the same function: the same bodies give
 * the same configuration, whichever way they come. */
static void test_config_file_equals_api(void **state)
{
    struct fixture *f = *state;
    char *machine = "{\"vcpu_count\": 2, \"mem_size_mib\": 96, \"smt\": true, "
                    "\"huge_pages\": \"2M\", \"cpu_template\": \"T2\"}";
    char *boot = sprintf_alloc("{\"kernel_image_path\": \"%s\", \"boot_args\": \"a b\"}",
                               kernel_file);
    char *drive = sprintf_alloc("{\"drive_id\": \"d\", \"path_on_host\": \"%s\", "
                                "\"is_root_device\": true, \"partuuid\": \"p-1\"}", drive_file);
    char *net = "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap9\", "
                "\"guest_mac\": \"aa:bb:cc:dd:ee:ff\"}";
    char doc[2048], err[CONFIG_ERR_MAX];
    snprintf(doc, sizeof(doc), "{\"machine-config\": %s, \"boot-source\": %s, \"drives\": [%s], "
             "\"network-interfaces\": [%s], \"entropy\": {}}", machine, boot, drive, net);
    struct vm_config file;
    config_init(&file);
    assert_int_equal(config_parse_json(&file, doc, err, sizeof(err)), 0);

    assert_int_equal(req(f, HTTP_PUT, "/machine-config", machine), 204);
    assert_int_equal(req(f, HTTP_PUT, "/boot-source", boot), 204);
    assert_int_equal(req(f, HTTP_PUT, "/drives/d", drive), 204);
    assert_int_equal(req(f, HTTP_PUT, "/network-interfaces/eth0", net), 204);
    assert_int_equal(req(f, HTTP_PUT, "/entropy", "{}"), 204);

    cJSON *a = config_full_json(&file), *b = config_full_json(&f->cfg);
    char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    config_free(&file);
    free(boot);
    free(drive);
}

int main(void)
{
    int fd = mkstemp(kernel_file);
    close(fd);
    fd = mkstemp(drive_file);
    close(fd);
    fd = mkstemp(metrics_file);
    close(fd);
    log_init(LOG_OFF, 2, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_machine_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drives_and_nets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_actions_and_life_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vsock_entropy_logger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_equals_api, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("vmm_api_resources", tests, NULL, NULL);
    unlink(kernel_file);
    unlink(drive_file);
    unlink(metrics_file);
    return rc;
}
