/* The API server: Firecracker's REST API over HTTP/1.1 on a UNIX stream socket, on its own
 * thread. It reads and parses requests (http.c) and hands each whole request to the VMM thread,
 * which owns the configuration and the machine: the VMM thread polls api_server_fd() and calls
 * api_server_serve(), which runs the resource handler (resources.c) and wakes the server thread
 * to send the response. One request is in flight at a time, as in Firecracker. */
#ifndef VMM_API_SERVER_H
#define VMM_API_SERVER_H

#include <stddef.h>

#include "vmm/api/resources.h"

#define API_CONN_MAX 16
#define API_DEFAULT_SOCK "/run/firecracker.socket"

struct api_server;

/* Creates, binds and listens on path (which must not exist, as with Firecracker). body_max:
 * the largest request body (--http-api-max-payload-size). Returns 0 or -errno with err set. */
int api_server_open(struct api_server **out, const char *path, size_t body_max, char *err,
                    size_t errlen);

/* Starts the server thread; thread_init (may be NULL) runs first on it (seccomp). */
int api_server_start(struct api_server *s, void (*thread_init)(void));

/* The eventfd that becomes readable when a request waits for the VMM thread. */
int api_server_fd(const struct api_server *s);

/* VMM thread: handles the waiting request, if any, against v. */
void api_server_serve(struct api_server *s, struct api_vmm *v);

#endif
