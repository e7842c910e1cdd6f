/* Console output with levels, and panic. Messages at or below the current level are printed;
 * the command line's loglevel=N (or --verbose) changes it. */
#ifndef MOTE_PRINTK_H
#define MOTE_PRINTK_H

#include <stdarg.h>

#include "mote/types.h"

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

extern int console_loglevel;

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printk(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes bytes to the console as they are (the program's stdout and stderr). */
void console_write(const char *buf, size_t len);
/* The next byte received on the console, or -1 when none is waiting (polled). */
int console_read_byte(void);

#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

struct trap_frame;
/* Prints the message, the registers (if frame) and a backtrace, then powers off with an error. */
__noreturn void panic_frame(struct trap_frame *frame, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define panic(...) panic_frame(NULL, __VA_ARGS__)

#endif
