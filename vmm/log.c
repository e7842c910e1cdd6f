/* Level-filtered log lines; see log.h. */
#include "vmm/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_int log_max = LOG_INFO;
static atomic_int log_fd = 2;
static atomic_bool log_show_level = true;
static atomic_bool log_show_origin = false;
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

void log_set_level(enum log_level level)
{
    log_max = level;
}

void log_set_format(bool show_level, bool show_origin)
{
    log_show_level = show_level;
    log_show_origin = show_origin;
}

int log_open_sink(const char *path)
{
    struct stat st;
    /* A FIFO opened O_WRONLY blocks until a reader comes (or fails with O_NONBLOCK): open it
     * read-write and non-blocking, as Firecracker does, and drop lines when it is full. */
    if (!stat(path, &st) && S_ISFIFO(st.st_mode)) {
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

int log_open(const char *path, char *err, size_t errlen)
{
    int fd = log_open_sink(path);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-fd));
        return fd;
    }
    int old = log_fd;
    if (old > 2) {
        /* Same descriptor number, new file: writers racing with us never see a closed fd. */
        dup3(fd, old, O_CLOEXEC);
        close(fd);
    } else {
        log_fd = fd;
    }
    return 0;
}

bool log_enabled(enum log_level level)
{
    return level != LOG_OFF && (int)level <= log_max;
}

void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    if (!log_enabled(level))
        return;
    n = snprintf(buf, sizeof(buf), "[%s", log_id);
    if (log_show_level)
        n += snprintf(buf + n, sizeof(buf) - n, ":%s", level_names[level]);
    if (log_show_origin)
        n += snprintf(buf + n, sizeof(buf) - n, ":%s:%d", file, line);
    n += snprintf(buf + n, sizeof(buf) - n, "] ");
    if (n > (int)sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    (void)!write(log_fd, buf, n);
}
