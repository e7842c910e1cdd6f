/* The monitor's log: Firecracker's levels (--level), to stderr or --log-path. One write(2) per
 * line, so lines from vCPU threads do not interleave. Bad-input errors do not go through here:
 * they are the one "motevm: what: why" line on stderr (main.c). */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdbool.h>

enum log_level { LOG_OFF = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* "Error", "warning", "INFO", ... (case-insensitive; "Warn" too). Returns -1 if unknown. */
int log_level_parse(const char *s);

/* Call once before any thread starts. fd is where lines go; id names the instance. */
void log_init(enum log_level level, int fd, const char *id);

bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
