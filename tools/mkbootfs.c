/* mkbootfs: packs host files into a Mote bootfs image (include/abi/bootfs.h), the file the kernel
 * build links into mote.elf.  Usage: mkbootfs -o OUT /guest/path=host/file ...
 * The first file is the kernel's default program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abi/bootfs.h"

static void die(const char *what, const char *why)
{
    fprintf(stderr, "mkbootfs: %s: %s\n", what, why);
    exit(1);
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))
        die(path, "not a regular file");
    unsigned char *buf = malloc(st.st_size ? st.st_size : 1);
    if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
        die(path, "cannot read");
    fclose(f);
    *size = st.st_size;
    return buf;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int first = 1;
    if (argc >= 3 && strcmp(argv[1], "-o") == 0) {
        out = argv[2];
        first = 3;
    }
    int count = argc - first;
    if (!out || count <= 0) {
        fprintf(stderr, "usage: mkbootfs -o OUT /guest/path=host/file ...\n");
        return 2;
    }
    struct bootfs_entry *e = calloc(count, sizeof(*e));
    unsigned char **data = calloc(count, sizeof(*data));
    uint64_t off = sizeof(struct bootfs_header) + (uint64_t)count * sizeof(*e);
    off = (off + BOOTFS_ALIGN - 1) & ~(uint64_t)(BOOTFS_ALIGN - 1);
    for (int i = 0; i < count; i++) {
        char *spec = argv[first + i], *eq = strchr(spec, '=');
        if (!eq || spec[0] != '/' || eq - spec >= BOOTFS_NAME_MAX)
            die(spec, "expected /guest/path=host/file (guest path under 112 bytes)");
        memcpy(e[i].name, spec, eq - spec);
        size_t size;
        data[i] = read_file(eq + 1, &size);
        e[i].mode = 0100755;
        e[i].offset = off;
        e[i].size = size;
        off = (off + size + BOOTFS_ALIGN - 1) & ~(uint64_t)(BOOTFS_ALIGN - 1);
    }
    struct bootfs_header h = {.count = count, .total_size = off};
    memcpy(h.magic, BOOTFS_MAGIC, 8);

    FILE *f = fopen(out, "wb");
    if (!f)
        die(out, strerror(errno));
    unsigned char *img = calloc(1, off);
    memcpy(img, &h, sizeof(h));
    memcpy(img + sizeof(h), e, count * sizeof(*e));
    for (int i = 0; i < count; i++)
        memcpy(img + e[i].offset, data[i], e[i].size);
    if (fwrite(img, 1, off, f) != off || fclose(f))
        die(out, "cannot write");
    return 0;
}
