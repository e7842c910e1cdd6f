/* HTTP/1.1 request parsing and response formatting; see http.h. Message syntax: RFC 9112 §2-§6
 * (request line, header fields, Content-Length framing); field names are case-insensitive. */
#include "vmm/api/http.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const method_names[] = {
    [HTTP_GET] = "GET", [HTTP_PUT] = "PUT", [HTTP_PATCH] = "PATCH",
    [HTTP_POST] = "POST", [HTTP_DELETE] = "DELETE", [HTTP_HEAD] = "HEAD",
};

const char *http_method_name(enum http_method m)
{
    return (unsigned)m < sizeof(method_names) / sizeof(method_names[0]) ? method_names[m] : "?";
}

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool token_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && !strncasecmp(p, word, n);
}

/* Does the comma-separated list v[0, n) hold word (case-insensitive)? */
static bool list_has(const char *v, size_t n, const char *word)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (i > s && token_is(v + s, i - s, word))
            return true;
    }
    return false;
}

static int bad(const char **why, const char *msg)
{
    *why = msg;
    return HTTP_BAD;
}

/* Request line: METHOD SP request-target SP HTTP/1.x. */
static int parse_request_line(const char *p, size_t n, struct http_request *r, bool *http10,
                              const char **why)
{
    const char *sp1 = memchr(p, ' ', n);
    if (!sp1)
        return bad(why, "malformed request line");
    size_t mlen = sp1 - p;
    unsigned m;
    for (m = 0; m < sizeof(method_names) / sizeof(method_names[0]); m++)
        if (strlen(method_names[m]) == mlen && !memcmp(p, method_names[m], mlen))
            break;
    if (m == sizeof(method_names) / sizeof(method_names[0]))
        return bad(why, "Unsupported HTTP method.");
    r->method = m;

    const char *t = sp1 + 1, *end = p + n;
    const char *sp2 = memchr(t, ' ', end - t);
    if (!sp2 || sp2 == t)
        return bad(why, "malformed request line");
    const char *v = sp2 + 1;
    if (end - v != 8 || memcmp(v, "HTTP/1.", 7) || (v[7] != '0' && v[7] != '1'))
        return bad(why, "Unsupported HTTP version.");
    *http10 = v[7] == '0';

    /* Absolute form (RFC 9112 §3.2.2): drop "http://authority". */
    if ((size_t)(sp2 - t) > 7 && !strncasecmp(t, "http://", 7)) {
        const char *slash = memchr(t + 7, '/', sp2 - (t + 7));
        t = slash ? slash : sp2;
    }
    if (t == sp2 || *t != '/')
        return bad(why, "request target must be a path");
    const char *q = memchr(t, '?', sp2 - t);
    size_t plen = (q ? q : sp2) - t;
    for (size_t i = 0; i < plen; i++)
        if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
            return bad(why, "invalid character in the request target");
    if (plen > HTTP_PATH_MAX)
        return bad(why, "request target too long");
    r->path = t;
    r->path_len = plen;
    return 0;
}

static int parse_content_length(const char *v, size_t n, uint64_t *out, const char **why)
{
    uint64_t x = 0;
    if (!n || n > 15)
        return bad(why, "invalid Content-Length");
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return bad(why, "invalid Content-Length");
        x = x * 10 + (v[i] - '0');
    }
    if (*out != UINT64_MAX && *out != x)
        return bad(why, "conflicting Content-Length headers");
    *out = x;
    return 0;
}

/* Can the bytes so far begin a request line? Lets garbage fail at once instead of waiting for
 * HTTP_HEAD_MAX bytes: the method must be one we know, the line free of control bytes. */
static bool plausible_start(const char *buf, size_t len)
{
    const char *sp = memchr(buf, ' ', len < 8 ? len : 8);
    size_t mlen = sp ? (size_t)(sp - buf) : (len < 8 ? len : 8);
    bool method = false;
    for (unsigned m = 0; m < sizeof(method_names) / sizeof(method_names[0]); m++) {
        size_t n = strlen(method_names[m]);
        if (sp ? n == mlen && !memcmp(buf, method_names[m], n)
               : mlen <= n && !memcmp(buf, method_names[m], mlen))
            method = true;
    }
    if (!method)
        return false;
    for (size_t i = 0; i < len && buf[i] != '\r'; i++)
        if ((unsigned char)buf[i] < ' ' || buf[i] == 0x7f)
            return false;
    return true;
}

int http_parse(const char *buf, size_t len, size_t body_max, struct http_request *r,
               const char **why)
{
    uint64_t clen = UINT64_MAX;
    bool http10 = false, conn_close = false, conn_keep = false;
    int rc;

    memset(r, 0, sizeof(*r));
    *why = NULL;
    size_t lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
    const char *end = memmem(buf, lim, "\r\n\r\n", 4);
    if (!end) {
        if (!plausible_start(buf, len))
            return bad(why, "malformed request line");
        return len >= HTTP_HEAD_MAX ? bad(why, "request headers too large") : HTTP_MORE;
    }
    size_t head_len = end - buf + 4;

    const char *eol = memmem(buf, head_len, "\r\n", 2);
    if ((rc = parse_request_line(buf, eol - buf, r, &http10, why)))
        return rc;

    for (const char *line = eol + 2; line < end + 2;) {
        const char *le = memmem(line, end + 2 - line, "\r\n", 2);
        size_t n = le - line;
        const char *colon = memchr(line, ':', n);
        if (!colon || colon == line)
            return bad(why, "malformed header line");
        for (const char *c = line; c < colon; c++)
            if (!is_tchar(*c))
                return bad(why, "invalid header name");
        const char *v = colon + 1, *ve = le;
        for (const char *c = v; c < ve; c++)
            if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f)
                return bad(why, "invalid character in a header value");
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t nlen = colon - line, vlen = ve - v;
        if (token_is(line, nlen, "Content-Length")) {
            if ((rc = parse_content_length(v, vlen, &clen, why)))
                return rc;
        } else if (token_is(line, nlen, "Transfer-Encoding")) {
            return bad(why, "Transfer-Encoding is not supported");
        } else if (token_is(line, nlen, "Connection")) {
            conn_close |= list_has(v, vlen, "close");
            conn_keep |= list_has(v, vlen, "keep-alive");
        } else if (token_is(line, nlen, "Expect")) {
            r->expect_continue = token_is(v, vlen, "100-continue");
        }
        line = le + 2;
    }
    r->keep_alive = !conn_close && (!http10 || conn_keep);
    r->head_len = head_len;
    if (clen == UINT64_MAX)
        clen = 0;
    if (clen > body_max) {
        r->body_len = clen;
        *why = "request body too large";
        return HTTP_TOO_LARGE;
    }
    if (len - head_len < clen)
        return HTTP_MORE;
    r->body = buf + head_len;
    r->body_len = clen;
    return (int)(head_len + clen);
}

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    default: return "Unknown";
    }
}

int http_format_response(char *buf, size_t len, int status, const char *body, size_t body_len,
                         bool keep_alive)
{
    int n = snprintf(buf, len, "HTTP/1.1 %d %s\r\nServer: Firecracker API\r\nConnection: %s\r\n",
                     status, reason(status), keep_alive ? "keep-alive" : "close");
    if (n < 0 || (size_t)n >= len)
        return -1;
    if (body)
        n += snprintf(buf + n, len - n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                      body_len);
    if ((size_t)n + 2 + body_len >= len)
        return -1;
    memcpy(buf + n, "\r\n", 2);
    n += 2;
    if (body) {
        memcpy(buf + n, body, body_len);
        n += body_len;
    }
    return n;
}
