/* Regular file data of the ramfs; see vfs.h. A file starts either empty or with bytes in place
 * (ext: the bootfs in the kernel image, or the initrd), which are read where they are; the first
 * write moves them into pages of its own (pages[i] holds bytes [i*4096, +4096); 0 is a hole that
 * reads as zeroes). */
#include <errno.h>

#include "fs/vfs.h"
#include "mote/mm.h"
#include "mote/string.h"

#define FILE_MAX (1ull << 40)

void ramfs_set_ext(struct inode *ino, const uint8_t *data, uint64_t size, bool mappable)
{
    ramfs_truncate(ino, 0);
    ino->ext = data;
    ino->size = size;
    ino->ext_mappable = mappable;
}

static int grow_list(struct inode *ino, uint64_t need)
{
    if (need <= ino->npages)
        return 0;
    uint64_t cap = MAX(need, ino->npages * 2);
    cap = MAX(cap, 8);
    paddr_t *p = kzalloc(cap * sizeof(*p));
    if (!p)
        return -ENOMEM;
    memcpy(p, ino->pages, ino->npages * sizeof(*p));
    kfree(ino->pages);
    ino->pages = p;
    ino->npages = cap;
    return 0;
}

/* Moves in-place bytes into pages before the first write. */
static int materialize(struct inode *ino)
{
    if (!ino->ext)
        return 0;
    const uint8_t *ext = ino->ext;
    uint64_t size = ino->size;
    uint64_t n = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    int rc = grow_list(ino, n);
    if (rc)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        paddr_t p = page_alloc_dirty();
        if (!p)
            return -ENOMEM; /* pages so far stay listed; ext still holds the truth */
        uint64_t len = MIN(PAGE_SIZE, size - i * PAGE_SIZE);
        memcpy(phys_to_virt(p), ext + i * PAGE_SIZE, len);
        if (len < PAGE_SIZE)
            memset((uint8_t *)phys_to_virt(p) + len, 0, PAGE_SIZE - len);
        ino->pages[i] = p;
    }
    ino->ext = NULL;
    ino->ext_mappable = false;
    return 0;
}

int ramfs_truncate(struct inode *ino, uint64_t size)
{
    if (ino->bops)
        return ino->bops->truncate(ino, size);
    if (size > FILE_MAX)
        return -EFBIG;
    if (ino->ext) {
        if (size == 0) {
            ino->ext = NULL;
            ino->ext_mappable = false;
            ino->size = 0;
            return 0;
        }
        int rc = materialize(ino);
        if (rc)
            return rc;
    }
    uint64_t keep = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    for (uint64_t i = keep; i < ino->npages; i++) {
        if (ino->pages[i]) {
            page_free(ino->pages[i]);
            ino->pages[i] = 0;
        }
    }
    /* Bytes past the new end inside the last page must read as zero if the file grows again. */
    if (size % PAGE_SIZE && keep && keep <= ino->npages && ino->pages[keep - 1])
        memset((uint8_t *)phys_to_virt(ino->pages[keep - 1]) + size % PAGE_SIZE, 0,
               PAGE_SIZE - size % PAGE_SIZE);
    ino->size = size;
    ino->mtime = ino->ctime = vfs_now();
    return 0;
}

long ramfs_read(struct inode *ino, void *buf, size_t len, uint64_t off)
{
    if (ino->bops)
        return ino->bops->read(ino, buf, len, off);
    if (off >= ino->size)
        return 0;
    size_t n = MIN(len, ino->size - off);
    if (ino->ext) {
        memcpy(buf, ino->ext + off, n);
        return n;
    }
    size_t done = 0;
    while (done < n) {
        uint64_t pos = off + done, idx = pos / PAGE_SIZE, in = pos % PAGE_SIZE;
        size_t chunk = MIN(n - done, PAGE_SIZE - in);
        if (idx < ino->npages && ino->pages[idx])
            memcpy((uint8_t *)buf + done, (uint8_t *)phys_to_virt(ino->pages[idx]) + in, chunk);
        else
            memset((uint8_t *)buf + done, 0, chunk);
        done += chunk;
    }
    return n;
}

long ramfs_write(struct inode *ino, const void *buf, size_t len, uint64_t off)
{
    if (ino->bops)
        return ino->bops->write(ino, buf, len, off);
    if (off >= FILE_MAX || len > FILE_MAX - off)
        return -EFBIG;
    if (len == 0)
        return 0;
    int rc = materialize(ino);
    if (rc)
        return rc;
    rc = grow_list(ino, ALIGN_UP(off + len, PAGE_SIZE) / PAGE_SIZE);
    if (rc)
        return rc;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done, idx = pos / PAGE_SIZE, in = pos % PAGE_SIZE;
        size_t chunk = MIN(len - done, PAGE_SIZE - in);
        if (!ino->pages[idx] && !(ino->pages[idx] = page_alloc()))
            break;
        memcpy((uint8_t *)phys_to_virt(ino->pages[idx]) + in, (const uint8_t *)buf + done, chunk);
        done += chunk;
    }
    if (done == 0)
        return -ENOSPC;
    if (off + done > ino->size)
        ino->size = off + done;
    ino->mtime = ino->ctime = vfs_now();
    return done;
}

long vfs_read_kernel(struct inode *ino, void *buf, size_t len, uint64_t off)
{
    if (!S_ISREG(ino->mode))
        return -EINVAL;
    long n = ramfs_read(ino, buf, len, off);
    if (n >= 0 && (size_t)n < len)
        memset((uint8_t *)buf + n, 0, len - n);
    return n;
}

paddr_t ramfs_page_phys(struct inode *ino, uint64_t idx)
{
#ifdef MOTE_HOST_TEST
    return 0;
#else
    if (!ino->ext || !ino->ext_mappable || idx * PAGE_SIZE >= ino->size)
        return 0;
    return virt_to_phys(ino->ext + idx * PAGE_SIZE);
#endif
}

const uint8_t *ramfs_view(struct inode *ino)
{
    if (ino->bops) { /* a copy, read from the backing file system */
        uint8_t *v = ino->size ? kmalloc(ino->size) : NULL;
        if (v && ino->bops->read(ino, v, ino->size, 0) != (long)ino->size) {
            kfree(v);
            v = NULL;
        }
        return v;
    }
    if (ino->ext)
        return ino->ext;
    uint64_t n = ALIGN_UP(ino->size, PAGE_SIZE) / PAGE_SIZE;
    if (n == 0)
        return NULL;
    /* Holes get pages of their own first, so the view is backed everywhere. */
    if (grow_list(ino, n))
        return NULL;
    for (uint64_t i = 0; i < n; i++)
        if (!ino->pages[i] && !(ino->pages[i] = page_alloc()))
            return NULL;
    return vmap_pages(ino->pages, n);
}

void ramfs_unview(struct inode *ino, const uint8_t *view)
{
    if (ino->bops) {
        kfree((void *)view);
        return;
    }
    if (view && view != ino->ext)
        vunmap((void *)view, ALIGN_UP(ino->size, PAGE_SIZE) / PAGE_SIZE);
}

static long file_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    long n = ramfs_read(f->inode, buf, len, *pos);
    if (n > 0)
        *pos += n;
    return n;
}

static long file_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    if (f->flags & O_APPEND)
        *pos = f->inode->size;
    long n = ramfs_write(f->inode, buf, len, *pos);
    if (n > 0)
        *pos += n;
    return n;
}

static unsigned file_poll(struct file *f)
{
    return POLLIN | POLLOUT;
}

static long dir_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    return -EISDIR;
}

static void dir_release(struct file *f)
{
    kfree(f->priv); /* the getdents cursor */
}

const struct file_ops ramfs_file_ops = {.read = file_read, .write = file_write, .poll = file_poll};
const struct file_ops ramfs_dir_ops = {.read = dir_read, .poll = file_poll, .release = dir_release};
