/* The API's HTTP/1.1 parser (vmm/api/http.c): whole requests, partial ones at every split,
 * keep-alive rules, Expect: 100-continue, size limits, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/api/http.h"

static int parse(const char *s, struct http_request *r, const char **why)
{
    return http_parse(s, strlen(s), HTTP_BODY_MAX_DEFAULT, r, why);
}

static void test_get(void **state)
{
    struct http_request r;
    const char *why;
    const char *req = "GET /machine-config HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
    assert_int_equal(parse(req, &r, &why), (int)strlen(req));
    assert_int_equal(r.method, HTTP_GET);
    assert_int_equal(r.path_len, strlen("/machine-config"));
    assert_memory_equal(r.path, "/machine-config", r.path_len);
    assert_int_equal(r.body_len, 0);
    assert_true(r.keep_alive);
    assert_false(r.expect_continue);
}

static void test_put_body_and_pipelining(void **state)
{
    struct http_request r;
    const char *why;
    const char *one = "PUT /drives/rootfs HTTP/1.1\r\ncontent-length: 7\r\n\r\n{\"a\":1}";
    char two[512];
    snprintf(two, sizeof(two), "%sGET / HTTP/1.1\r\n\r\n", one);
    int n = parse(two, &r, &why);
    assert_int_equal(n, (int)strlen(one));
    assert_int_equal(r.method, HTTP_PUT);
    assert_int_equal(r.body_len, 7);
    assert_memory_equal(r.body, "{\"a\":1}", 7);
    assert_int_equal(parse(two + n, &r, &why), (int)strlen(two) - n);
    assert_int_equal(r.method, HTTP_GET);
}

/* Every prefix of a valid request is "more", never an error or a crash. */
static void test_every_split(void **state)
{
    struct http_request r;
    const char *why;
    const char *req = "PATCH /vm HTTP/1.1\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n"
                      "{\"state\": \"Paused\"}\n";
    size_t len = strlen(req);
    for (size_t i = 0; i < len; i++) {
        int rc = http_parse(req, i, HTTP_BODY_MAX_DEFAULT, &r, &why);
        assert_int_equal(rc, HTTP_MORE);
        if (i >= (size_t)(strstr(req, "\r\n\r\n") + 4 - req)) {
            assert_true(r.head_len > 0);
            assert_true(r.expect_continue);
        }
    }
    assert_int_equal(http_parse(req, len, HTTP_BODY_MAX_DEFAULT, &r, &why), (int)len);
}

static void test_keep_alive_rules(void **state)
{
    struct http_request r;
    const char *why;
    assert_true(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r, &why) > 0);
    assert_false(r.keep_alive);
    assert_true(parse("GET / HTTP/1.0\r\n\r\n", &r, &why) > 0);
    assert_false(r.keep_alive);
    assert_true(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r, &why) > 0);
    assert_true(r.keep_alive);
    assert_true(parse("GET / HTTP/1.1\r\nconnection: foo, CLOSE\r\n\r\n", &r, &why) > 0);
    assert_false(r.keep_alive);
}

static void test_absolute_form_and_query(void **state)
{
    struct http_request r;
    const char *why;
    assert_true(parse("GET http://localhost/version?x=1 HTTP/1.1\r\n\r\n", &r, &why) > 0);
    assert_int_equal(r.path_len, 8);
    assert_memory_equal(r.path, "/version", 8);
    assert_true(parse("GET http://localhost HTTP/1.1\r\n\r\n", &r, &why) < 0);
}

static void test_limits(void **state)
{
    struct http_request r;
    const char *why;
    assert_int_equal(parse("PUT /x HTTP/1.1\r\nContent-Length: 51201\r\n\r\n", &r, &why),
                     HTTP_TOO_LARGE);
    assert_int_equal(r.body_len, 51201);
    assert_int_equal(parse("PUT /x HTTP/1.1\r\nContent-Length: 51200\r\n\r\n", &r, &why),
                     HTTP_MORE);
    char *big = malloc(HTTP_HEAD_MAX + 64);
    memset(big, 'a', HTTP_HEAD_MAX + 64);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(http_parse(big, HTTP_HEAD_MAX + 64, 100, &r, &why), HTTP_BAD);
    assert_string_equal(why, "request headers too large");
    free(big);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "FROB / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET\r\n\r\n",
        "GET x HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
        "PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "PUT / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
        "PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_request r;
        const char *why = NULL;
        int rc = parse(bad[i], &r, &why);
        if (rc != HTTP_BAD)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(why);
    }
    /* The same Content-Length twice is allowed (RFC 9112 §6.3). */
    struct http_request r;
    const char *why;
    assert_true(parse("PUT / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
                      &r, &why) > 0);
}

static void test_binary_garbage(void **state)
{
    char buf[256];
    struct http_request r;
    const char *why;
    unsigned seed = 1;
    for (int round = 0; round < 2000; round++) {
        size_t n = (seed = seed * 1103515245 + 12345) % sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (seed = seed * 1103515245 + 12345) >> 16;
        int rc = http_parse(buf, n, 64, &r, &why);
        assert_true(rc <= (int)n);
    }
}

static void test_response(void **state)
{
    char buf[256];
    int n = http_format_response(buf, sizeof(buf), 204, NULL, 0, true);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "HTTP/1.1 204 No Content\r\n"));
    assert_non_null(strstr(buf, "Connection: keep-alive\r\n"));
    assert_null(strstr(buf, "Content-Length"));
    assert_string_equal(buf + n - 4, "\r\n\r\n");
    n = http_format_response(buf, sizeof(buf), 400, "{\"x\":1}", 7, false);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "Content-Length: 7\r\n"));
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_string_equal(buf + n - 7, "{\"x\":1}");
    assert_int_equal(http_format_response(buf, 40, 400, "{\"x\":1}", 7, false), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_put_body_and_pipelining),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_absolute_form_and_query),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_binary_garbage),
        cmocka_unit_test(test_response),
    };
    return cmocka_run_group_tests_name("vmm_api_http", tests, NULL, NULL);
}
