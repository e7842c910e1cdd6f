/* The monitor's log: Firecracker's levels (--level, PUT /logger), to stderr, a file or a FIFO
 * (--log-path, logger.log_path). One write(2) per line, so lines from different threads do not
 * interleave. Bad-input errors do not go through here: they are the one "motevm: what: why"
 * line on stderr (main.c). Line: "[<id>:<Level>:<file>:<line>] message", level and origin
 * each optional (show_level, show_log_origin). */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_OFF = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* "Error", "warning", "INFO", ... (case-insensitive; "Warn" too). Returns -1 if unknown. */
int log_level_parse(const char *s);

/* Call once before any thread starts. fd is where lines go; id names the instance. */
void log_init(enum log_level level, int fd, const char *id);

/* Any time, any thread: the level and the line format. */
void log_set_level(enum log_level level);
void log_set_format(bool show_level, bool show_origin);

/* Opens path (a regular file, created and appended to, or a FIFO opened without blocking) and
 * sends the lines there from now on. Returns 0 or -errno with err = "<path>: <why>". */
int log_open(const char *path, char *err, size_t errlen);

/* Opens path as log_open would (file or FIFO); returns the fd or -errno. Metrics use it too. */
int log_open_sink(const char *path);

bool log_enabled(enum log_level level);

void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_msg(level, ...) log_write((level), __FILE__, __LINE__, __VA_ARGS__)

#endif
