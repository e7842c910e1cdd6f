/* Host driver for bench/ext4.py: the ext4 core against an image file.
 *   ext4_bench write IMG NAME MIB   create NAME, write MIB MiB in 1 MiB calls, sync, unmount
 *   ext4_bench read IMG NAME        read NAME in 1 MiB calls
 *   ext4_bench small IMG N          N files of 4 KiB in /small, ext4_sync (fdatasync) after each
 *   ext4_bench mount IMG [rw]       mount and unmount (for callgrind)
 * Prints one line: "<seconds> <bytes or files>". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/ext4_util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct ext4_fs *mnt(struct filedev *d, const char *img, unsigned flags)
{
    struct ext4_fs *fs = mount_image(d, img, flags);
    if (!fs)
        exit(1);
    d->real_flush = true;
    return fs;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    struct filedev d;
    static char buf[1 << 20];
    memset(buf, 0x5a, sizeof(buf));
    const char *op = argv[1], *img = argv[2];
    if (!strcmp(op, "mount")) {
        bool rw = argc > 3 && !strcmp(argv[3], "rw");
        struct ext4_fs *fs = mnt(&d, img, rw ? 0 : EXT4_MOUNT_RDONLY);
        return ext4_umount(fs) ? 1 : 0;
    }
    if (!strcmp(op, "write") && argc == 5) {
        struct ext4_fs *fs = mnt(&d, img, 0);
        ext4_ino_t ino;
        double t = now();
        if (ext4_create(fs, ext4_root(fs), argv[3], strlen(argv[3]), 0644, &ino))
            return 1;
        uint64_t total = (uint64_t)atoi(argv[4]) << 20;
        for (uint64_t off = 0; off < total; off += sizeof(buf))
            if (ext4_write(fs, ino, off, buf, sizeof(buf)) != (long)sizeof(buf))
                return 1;
        if (ext4_umount(fs))
            return 1;
        printf("%.6f %llu\n", now() - t, (unsigned long long)total);
        return 0;
    }
    if (!strcmp(op, "read") && argc == 4) {
        struct ext4_fs *fs = mnt(&d, img, EXT4_MOUNT_RDONLY);
        ext4_ino_t ino;
        if (ext4_lookup(fs, ext4_root(fs), argv[3], strlen(argv[3]), &ino))
            return 1;
        double t = now();
        uint64_t total = 0;
        long n;
        while ((n = ext4_read(fs, ino, total, buf, sizeof(buf))) > 0)
            total += (uint64_t)n;
        printf("%.6f %llu\n", now() - t, (unsigned long long)total);
        return ext4_umount(fs) || n < 0;
    }
    if (!strcmp(op, "small") && argc == 4) {
        struct ext4_fs *fs = mnt(&d, img, 0);
        int n = atoi(argv[3]);
        ext4_ino_t dir, ino;
        double t = now();
        if (ext4_mkdir(fs, ext4_root(fs), "small", 5, 0755, &dir))
            return 1;
        for (int i = 0; i < n; i++) {
            char name[32];
            snprintf(name, sizeof(name), "f%05d", i);
            if (ext4_create(fs, dir, name, strlen(name), 0644, &ino) ||
                ext4_write(fs, ino, 0, buf, 4096) != 4096 || ext4_sync(fs))
                return 1;
        }
        printf("%.6f %d\n", now() - t, n);
        return ext4_umount(fs) ? 1 : 0;
    }
    return 2;
}
