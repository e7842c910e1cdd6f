/* The loader and shared libraries of a dynamically linked --exec-file, copied into the jail.
 * Search order without an ld.so.cache: the multiarch and default directories of Debian's glibc
 * (ld.so(8), "the default path"). DT_RPATH/DT_RUNPATH are not honoured: motevm has none. */
#include "vmm/jail/libs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/elf.h"

#define LIBS_MAX 64

static const char *const search_dirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
    "/usr/lib",
};

struct walk {
    const char *root;
    char *err;
    size_t errlen;
    char done[LIBS_MAX][256]; /* host paths already copied */
    int ndone;
};

static int fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct walk *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, w->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* mkdir -p of path's directory part. */
static int make_parents(struct walk *w, char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r && errno != EEXIST)
            return fail(w, "mkdir %s: %s", path, strerror(errno));
    }
    return 0;
}

/* Writes a host file's bytes (symlinks already followed) to root + dst_path, mode 0755. */
static int copy_into(struct walk *w, const void *data, size_t size, const char *dst_path)
{
    char dst[4096];
    if (snprintf(dst, sizeof(dst), "%s%s", w->root, dst_path) >= (int)sizeof(dst))
        return fail(w, "%s: path too long", dst_path);
    if (make_parents(w, dst))
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0)
        return fail(w, "%s: %s", dst, strerror(errno));
    const char *p = data;
    size_t left = size;
    while (left) {
        ssize_t n = write(out, p, left);
        if (n <= 0) {
            close(out);
            return fail(w, "%s: write: %s", dst, strerror(errno));
        }
        p += n;
        left -= (size_t)n;
    }
    close(out);
    return 0;
}

static int add_file(struct walk *w, const char *path);

static int add_needed(const char *name, void *arg)
{
    struct walk *w = arg;
    char path[512];
    if (strchr(name, '/'))
        return add_file(w, name);
    for (size_t i = 0; i < sizeof(search_dirs) / sizeof(search_dirs[0]); i++) {
        if (snprintf(path, sizeof(path), "%s/%s", search_dirs[i], name) >= (int)sizeof(path))
            return fail(w, "library name too long: %.64s...", name);
        if (access(path, R_OK) == 0)
            return add_file(w, path);
    }
    return fail(w, "needs %s, which is in none of the loader's default directories", name);
}

/* Copies the ELF file at host path (once), then what it needs. */
static int add_file(struct walk *w, const char *path)
{
    for (int i = 0; i < w->ndone; i++)
        if (!strcmp(w->done[i], path))
            return 0;
    if (w->ndone == LIBS_MAX)
        return fail(w, "more than %d shared libraries", LIBS_MAX);
    if (strlen(path) >= sizeof(w->done[0]))
        return fail(w, "%s: path too long", path);
    strcpy(w->done[w->ndone++], path);

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(w, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        return fail(w, "%s: not a regular, non-empty file", path);
    }
    void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED)
        return fail(w, "%s: mmap: %s", path, strerror(errno));
    struct elf_image img;
    const char *why = "";
    int r = elf_parse(&img, data, (size_t)st.st_size, &why);
    if (r) {
        fail(w, "%s: %s", path, why);
    } else {
        const char *interp = elf_interp(&img);
        /* The executable itself is already in the jail; its interpreter and libraries are not. */
        r = w->ndone == 1 ? 0 : copy_into(w, data, (size_t)st.st_size, path);
        if (!r && interp && interp[0] != '/')
            r = fail(w, "%s: bad interpreter %s", path, interp);
        if (!r && interp)
            r = add_file(w, interp);
        if (!r) {
            r = elf_needed(&img, add_needed, w);
            if (r == -EINVAL)
                fail(w, "%s: malformed dynamic section", path);
        }
        r = r ? -1 : 0;
    }
    munmap(data, (size_t)st.st_size);
    return r;
}

int jail_copy_libs(const char *exec, const char *root, char *err, size_t errlen)
{
    static struct walk w;
    memset(&w, 0, sizeof(w));
    w.root = root;
    w.err = err;
    w.errlen = errlen;
    return add_file(&w, exec);
}
