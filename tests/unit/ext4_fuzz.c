/* libFuzzer target for the ext4 core: the input is a disk image. Mount (read-only, then
 * read-write on a copy), walk every directory (bounded), read files and links, then create,
 * write, rename, truncate and remove, sync and unmount. Built by `make fuzz-ext4`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ext4/ext4.h"

void *ext4_malloc(size_t size);
void ext4_mfree(void *p);
void *ext4_malloc(size_t size)
{
    return calloc(1, size ? size : 1);
}
void ext4_mfree(void *p)
{
    free(p);
}

struct memdev {
    uint8_t *data;
    size_t size;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memdev *m = ctx;
    if (off > m->size || len > m->size - off)
        return -5;
    memcpy(buf, m->data + off, len);
    return 0;
}
static int mem_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct memdev *m = ctx;
    if (off > m->size || len > m->size - off)
        return -5;
    memcpy(m->data + off, buf, len);
    return 0;
}
static int mem_flush(void *ctx)
{
    return 0;
}

static unsigned budget;

static void walk(struct ext4_fs *fs, ext4_ino_t dir, int depth)
{
    if (depth > 16)
        return;
    uint64_t pos = 0;
    struct ext4_dirent_info e;
    while (budget && ext4_readdir(fs, dir, &pos, &e) == 1) {
        budget--;
        if (!strcmp(e.name, ".") || !strcmp(e.name, ".."))
            continue;
        ext4_ino_t ino;
        struct ext4_stat st;
        if (ext4_lookup(fs, dir, e.name, e.name_len, &ino) || ext4_stat(fs, ino, &st))
            continue;
        static char buf[8192];
        switch (st.mode & 0170000) {
        case 0040000:
            walk(fs, ino, depth + 1);
            break;
        case 0100000:
            ext4_read(fs, ino, 0, buf, sizeof(buf));
            ext4_read(fs, ino, st.size > 100 ? st.size - 100 : 0, buf, 200);
            break;
        case 0120000:
            ext4_readlink(fs, ino, buf, sizeof(buf));
            break;
        }
    }
}

static void mutate(struct ext4_fs *fs)
{
    ext4_ino_t root = ext4_root(fs), d, f;
    static char buf[20000];
    memset(buf, 'z', sizeof(buf));
    if (!ext4_mkdir(fs, root, "fz", 2, 0755, &d)) {
        if (!ext4_create(fs, d, "f", 1, 0644, &f)) {
            ext4_write(fs, f, 0, buf, sizeof(buf));
            ext4_write(fs, f, 1u << 20, buf, 100);
            ext4_truncate(fs, f, 5000);
            ext4_link(fs, f, root, "fl", 2);
        }
        ext4_symlink(fs, d, "s", 1, "a-target-that-is-long-enough-to-need-a-block-of-its-own-xxxxxxx", NULL);
        ext4_rename(fs, d, "f", 1, root, "moved", 5);
    }
    uint64_t pos = 0;
    struct ext4_dirent_info e;
    int n = 0;
    while (n++ < 8 && ext4_readdir(fs, root, &pos, &e) == 1) {
        ext4_ino_t ino;
        if (!ext4_lookup(fs, root, e.name, e.name_len, &ino)) {
            ext4_write(fs, ino, 3, buf, 5000);
            ext4_truncate(fs, ino, 1);
        }
        ext4_unlink(fs, root, e.name, e.name_len);
        ext4_rmdir(fs, root, e.name, e.name_len);
    }
    ext4_sync(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memdev m = { malloc(size ? size : 1), size };
    memcpy(m.data, data, size);
    struct ext4_dev dev = { mem_read, mem_write, mem_flush, NULL, &m, size };
    struct ext4_fs *fs;
    char why[128];
    struct ext4_mount_opts ro = { EXT4_MOUNT_RDONLY, 16 }, rw = { 0, 16 };
    if (!ext4_mount(&dev, &ro, &fs, why, sizeof(why))) {
        budget = 2000;
        walk(fs, ext4_root(fs), 0);
        ext4_umount(fs);
    }
    if (!ext4_mount(&dev, &rw, &fs, why, sizeof(why))) {
        if (!ext4_readonly(fs))
            mutate(fs);
        budget = 2000;
        walk(fs, ext4_root(fs), 0);
        ext4_umount(fs);
    }
    free(m.data);
    return 0;
}
