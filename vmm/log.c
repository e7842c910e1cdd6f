/* Level-filtered log lines; see log.h. */
#include "vmm/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

static enum log_level log_max = LOG_INFO;
static int log_fd = 2;
static const char *log_id = "anonymous-instance";

static const char *const level_names[] = {
    [LOG_OFF] = "Off",     [LOG_ERROR] = "Error", [LOG_WARN] = "Warning",
    [LOG_INFO] = "Info",   [LOG_DEBUG] = "Debug", [LOG_TRACE] = "Trace",
};

int log_level_parse(const char *s)
{
    for (int i = LOG_OFF; i <= LOG_TRACE; i++)
        if (!strcasecmp(s, level_names[i]))
            return i;
    if (!strcasecmp(s, "warn"))
        return LOG_WARN;
    return -1;
}

void log_init(enum log_level level, int fd, const char *id)
{
    log_max = level;
    log_fd = fd;
    if (id)
        log_id = id;
}

bool log_enabled(enum log_level level)
{
    return level != LOG_OFF && level <= log_max;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!log_enabled(level))
        return;
    int n = snprintf(line, sizeof(line), "[%s:%s] ", log_id, level_names[level]);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(log_fd, line, n);
}
