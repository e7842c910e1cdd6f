/* The HTTP/1.1 subset Firecracker's API speaks (RFC 9112): one request at a time per
 * connection, keep-alive, Content-Length bodies, "Expect: 100-continue". No chunked bodies, no
 * pipelined responses out of order. Pure functions over a buffer: the server, the unit tests and
 * the fuzz target call the same code. Our own parser, not a library: see docs/api.md. */
#ifndef VMM_API_HTTP_H
#define VMM_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192              /* request line and headers */
#define HTTP_BODY_MAX_DEFAULT 51200     /* Firecracker's --http-api-max-payload-size */
#define HTTP_PATH_MAX 1024

enum http_method { HTTP_GET, HTTP_PUT, HTTP_PATCH, HTTP_POST, HTTP_DELETE, HTTP_HEAD };

struct http_request {
    enum http_method method;
    const char *path;           /* into the buffer; origin form ("/drives/x"), no query */
    size_t path_len;
    const char *body;           /* into the buffer */
    size_t body_len;
    size_t head_len;            /* request line + headers + the empty line */
    bool keep_alive;            /* HTTP/1.1 without "Connection: close" */
    bool expect_continue;       /* "Expect: 100-continue" */
};

enum http_parse_result {
    HTTP_MORE = 0,              /* need more bytes */
    HTTP_BAD = -1,              /* malformed: answer 400 and close */
    HTTP_TOO_LARGE = -2,        /* body over the limit: answer 400 and close */
};

/* Parses the request at the start of buf[0, len). Returns its whole length (> 0) once the
 * headers and the body are all there; HTTP_MORE, with r->head_len set once the headers are
 * complete (so a server can answer "100 Continue"); or an error, with *why saying what. */
int http_parse(const char *buf, size_t len, size_t body_max, struct http_request *r,
               const char **why);

const char *http_method_name(enum http_method m);

/* Formats a response: status line, Server, Connection, Content-Type and Content-Length when
 * there is a body. Returns the length, or -1 if buf is too small. */
int http_format_response(char *buf, size_t len, int status, const char *body, size_t body_len,
                         bool keep_alive);

#endif
