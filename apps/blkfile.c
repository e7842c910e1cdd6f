/* Reads and writes a disk through its block-device file: size by lseek and BLKGETSIZE64, an
 * unaligned pattern written at an odd offset, fsync, read back. Usage: blkfile DEVICE OFFSET */
#include <fcntl.h>
#define BLKGETSIZE64 0x80081272 /* <linux/fs.h> _IOR(0x12, 114, size_t); musl has no kernel headers */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "/dev/vda";
    off_t at = argc > 2 ? strtoll(argv[2], NULL, 0) : 1000;
    int fd = open(dev, O_RDWR);
    if (fd < 0) {
        perror(dev);
        return 1;
    }
    uint64_t size = 0;
    off_t end = lseek(fd, 0, SEEK_END);
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
        perror("BLKGETSIZE64");
        return 1;
    }
    printf("size lseek=%lld ioctl=%llu\n", (long long)end, (unsigned long long)size);
    static char buf[3000], back[3000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)('A' + i % 26);
    if (pwrite(fd, buf, sizeof(buf), at) != (ssize_t)sizeof(buf) || fsync(fd) != 0) {
        perror("write");
        return 1;
    }
    if (pread(fd, back, sizeof(back), at) != (ssize_t)sizeof(back) ||
        memcmp(buf, back, sizeof(buf)) != 0) {
        printf("read back differs\n");
        return 1;
    }
    printf("wrote and read back %zu bytes at %lld\n", sizeof(buf), (long long)at);
    return close(fd);
}
