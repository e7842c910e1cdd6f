/* Directories (ext4 docs §"Directory Entries", §"Hash Tree Directories"): linear entries in
 * blocks, each block checked as it is read (record lengths, name lengths, inode numbers, the
 * checksum tail under metadata_csum). Hash-indexed directories are read by a linear scan: the
 * index blocks look like empty entries to it. Before an entry is added or removed in an indexed
 * directory the index is dropped (the flag cleared, the index blocks rewritten as empty entry
 * blocks), so the hashes never lie; e2fsck -D can rebuild it. */
#include "fs/ext4/priv.h"

#define REC_LEN(n) ((EXT4_DIRENT_HDR + (n) + 3u) & ~3u)

struct dblk {
    struct ext4_buf *b;
    uint32_t end; /* where entries stop: bs, or bs - 12 before a checksum tail */
};

static uint32_t rec_len(struct ext4_fs *fs, const struct ext4_dirent *d)
{
    uint32_t r = d->rec_len;
    if (fs->bs >= 65536 && (r == 65535 || r == 0))
        return fs->bs;
    return r;
}
static void set_rec_len(struct ext4_fs *fs, struct ext4_dirent *d, uint32_t r)
{
    d->rec_len = (uint16_t)(r >= 65536 ? 65535 : r);
}
static uint32_t name_len(struct ext4_fs *fs, const struct ext4_dirent *d)
{
    return fs->has_filetype ? d->name_len : d->name_len | (uint32_t)d->file_type << 8;
}
static struct ext4_dirent *at(struct dblk *db, uint32_t off)
{
    return (struct ext4_dirent *)(db->b->data + off);
}

uint8_t ext4_mode_ft(uint32_t mode)
{
    static const uint8_t ft[16] = {
        [1] = EXT4_FT_FIFO, [2] = EXT4_FT_CHR, [4] = EXT4_FT_DIR, [6] = EXT4_FT_BLK,
        [8] = EXT4_FT_REG, [10] = EXT4_FT_SYMLINK, [12] = EXT4_FT_SOCK,
    };
    return ft[(mode >> 12) & 15];
}

static bool is_tail(struct ext4_fs *fs, const struct ext4_dirent *d, uint32_t off)
{
    return off == fs->bs - EXT4_DIRENT_TAIL_SIZE && d->inode == 0 &&
           d->rec_len == EXT4_DIRENT_TAIL_SIZE && d->name_len == 0 &&
           d->file_type == EXT4_DIRENT_TAIL_FT;
}

static uint32_t dblk_csum(struct ext4_fs *fs, struct ext4_iref *dir, const uint8_t *data)
{
    return ext4_crc32c(ext4_inode_csum_seed(fs, dir), data, fs->bs - EXT4_DIRENT_TAIL_SIZE);
}

/* Writes a block back: tail checksum (metadata_csum), dirty. */
static void dblk_dirty(struct ext4_fs *fs, struct ext4_iref *dir, struct dblk *db)
{
    if (fs->csum && db->end < fs->bs) {
        uint8_t *t = db->b->data + db->end;
        struct ext4_dirent *d = (struct ext4_dirent *)t;
        d->inode = 0;
        d->rec_len = EXT4_DIRENT_TAIL_SIZE;
        d->name_len = 0;
        d->file_type = EXT4_DIRENT_TAIL_FT;
        uint32_t c = dblk_csum(fs, dir, db->b->data);
        memcpy(t + 8, &c, 4);
    }
    ext4_bdirty(fs, db->b);
}

/* Reads and checks directory block lblk. */
static int dblk_get(struct ext4_fs *fs, struct ext4_iref *dir, uint32_t lblk, struct dblk *db)
{
    struct ext4_map m;
    int err = ext4_bmap(fs, dir, lblk, &m);
    if (err)
        return err;
    if (!m.pblk || (m.flags & EXT4_MAP_UNWRITTEN))
        return -EUCLEAN; /* directories have no holes */
    if ((err = ext4_bget(fs, m.pblk, false, &db->b)))
        return err;
    db->end = fs->bs;
    uint32_t off = 0;
    while (off < fs->bs) {
        struct ext4_dirent *d = at(db, off);
        if (off + EXT4_DIRENT_HDR > fs->bs)
            goto bad;
        if (is_tail(fs, d, off)) {
            db->end = off;
            if (fs->csum) {
                uint32_t c;
                memcpy(&c, db->b->data + off + 8, 4);
                if (c != dblk_csum(fs, dir, db->b->data))
                    goto bad;
            }
            break;
        }
        uint32_t r = rec_len(fs, d), n = name_len(fs, d);
        if (r < 12 || (r & 3) || r > fs->bs - off || n > EXT4_NAME_LEN ||
            (d->inode && (REC_LEN(n) > r || n == 0)) || d->inode > fs->sb.s_inodes_count)
            goto bad;
        off += r;
    }
    return 0;
bad:
    ext4_bput(fs, db->b);
    return -EUCLEAN;
}

static uint32_t dir_blocks(struct ext4_fs *fs, struct ext4_iref *dir)
{
    return (uint32_t)MIN(ext4_isize(dir->raw) >> fs->bs_shift, 0xffffffffull);
}

struct found {
    uint32_t lblk, off, prev; /* prev == off: the first entry of its block */
    ext4_ino_t ino;
};

static int find(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                struct found *f)
{
    uint32_t nblk = dir_blocks(fs, dir);
    for (uint32_t lblk = 0; lblk < nblk; lblk++) {
        struct dblk db;
        int err = dblk_get(fs, dir, lblk, &db);
        if (err)
            return err;
        uint32_t prev = 0;
        for (uint32_t off = 0; off < db.end; off += rec_len(fs, at(&db, off))) {
            struct ext4_dirent *d = at(&db, off);
            if (d->inode && name_len(fs, d) == len && !memcmp(d->name, name, len)) {
                *f = (struct found){ lblk, off, prev, d->inode };
                ext4_bput(fs, db.b);
                return 0;
            }
            prev = off;
        }
        ext4_bput(fs, db.b);
    }
    return -ENOENT;
}

int ext4_dir_find(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                  ext4_ino_t *ino)
{
    struct found f;
    int err = find(fs, dir, name, len, &f);
    if (!err)
        *ino = f.ino;
    return err;
}

int ext4_dir_next(struct ext4_fs *fs, struct ext4_iref *dir, uint64_t *pos,
                  struct ext4_dirent_info *ent)
{
    uint32_t nblk = dir_blocks(fs, dir);
    for (uint64_t lblk = *pos >> fs->bs_shift; lblk < nblk; lblk++) {
        uint32_t from = lblk == *pos >> fs->bs_shift ? (uint32_t)(*pos & (fs->bs - 1)) : 0;
        struct dblk db;
        int err = dblk_get(fs, dir, (uint32_t)lblk, &db);
        if (err)
            return err;
        for (uint32_t off = 0; off < db.end; off += rec_len(fs, at(&db, off))) {
            struct ext4_dirent *d = at(&db, off);
            if (off < from || !d->inode)
                continue;
            ent->ino = d->inode;
            ent->name_len = (uint8_t)name_len(fs, d);
            ent->type = fs->has_filetype ? d->file_type : 0;
            memcpy(ent->name, d->name, ent->name_len);
            ent->name[ent->name_len] = '\0';
            *pos = (lblk << fs->bs_shift) + off + rec_len(fs, d);
            ext4_bput(fs, db.b);
            return 1;
        }
        ext4_bput(fs, db.b);
    }
    *pos = (uint64_t)nblk << fs->bs_shift;
    return 0;
}

/* Drops a hash index: the root and node blocks become plain entry blocks. */
static int dx_clear(struct ext4_fs *fs, struct ext4_iref *dir)
{
    if (!(dir->raw->i_flags & EXT4_INDEX_FL))
        return 0;
    uint32_t nblk = dir_blocks(fs, dir);
    uint32_t end = fs->csum ? fs->bs - EXT4_DIRENT_TAIL_SIZE : fs->bs;
    for (uint32_t lblk = 0; lblk < nblk && fs->csum; lblk++) {
        struct dblk db;
        int err = dblk_get(fs, dir, lblk, &db);
        if (err)
            return err;
        if (db.end == fs->bs) { /* no tail: an index block */
            struct ext4_dirent *d = at(&db, 0);
            uint32_t keep = 0;
            if (lblk == 0 && d->inode && rec_len(fs, d) == 12) {
                struct ext4_dirent *dd = at(&db, 12);
                keep = 12 + REC_LEN(name_len(fs, dd));
                set_rec_len(fs, dd, end - 12);
            } else {
                d->inode = 0;
                set_rec_len(fs, d, end);
                keep = EXT4_DIRENT_HDR;
            }
            memset(db.b->data + keep, 0, fs->bs - keep);
            db.end = end;
            dblk_dirty(fs, dir, &db);
        }
        ext4_bput(fs, db.b);
    }
    dir->raw->i_flags &= ~EXT4_INDEX_FL;
    dir->dirty = true;
    return 0;
}

static void put_entry(struct ext4_fs *fs, struct ext4_dirent *d, const char *name, size_t len,
                      ext4_ino_t ino, uint32_t mode)
{
    d->inode = ino;
    d->name_len = (uint8_t)len;
    d->file_type = fs->has_filetype ? ext4_mode_ft(mode) : 0;
    memcpy(d->name, name, len);
}

static int new_dir_block(struct ext4_fs *fs, struct ext4_iref *dir, uint32_t lblk, struct dblk *db)
{
    struct ext4_map m;
    int err = ext4_bmap_alloc(fs, dir, lblk, 1, &m);
    if (err)
        return err;
    if ((err = ext4_bget(fs, m.pblk, true, &db->b)))
        return err;
    db->end = fs->csum ? fs->bs - EXT4_DIRENT_TAIL_SIZE : fs->bs;
    set_rec_len(fs, at(db, 0), db->end);
    ext4_set_isize(fs, dir->raw, ((uint64_t)lblk + 1) << fs->bs_shift);
    dir->dirty = true;
    return 0;
}

int ext4_dir_add(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                 ext4_ino_t ino, uint32_t mode)
{
    int err = dx_clear(fs, dir);
    if (err)
        return err;
    uint32_t need = REC_LEN(len), nblk = dir_blocks(fs, dir);
    struct dblk db;
    for (uint32_t lblk = 0; lblk < nblk; lblk++) {
        if ((err = dblk_get(fs, dir, lblk, &db)))
            return err;
        for (uint32_t off = 0; off < db.end; off += rec_len(fs, at(&db, off))) {
            struct ext4_dirent *d = at(&db, off);
            uint32_t r = rec_len(fs, d), used = d->inode ? REC_LEN(name_len(fs, d)) : 0;
            if (r - used < need)
                continue;
            if (used) {
                set_rec_len(fs, d, used);
                d = at(&db, off + used);
                set_rec_len(fs, d, r - used);
            }
            put_entry(fs, d, name, len, ino, mode);
            goto done;
        }
        ext4_bput(fs, db.b);
    }
    if ((err = new_dir_block(fs, dir, nblk, &db)))
        return err;
    put_entry(fs, at(&db, 0), name, len, ino, mode);
done:
    dblk_dirty(fs, dir, &db);
    ext4_bput(fs, db.b);
    ext4_itime(fs, dir, false, true, true);
    return 0;
}

int ext4_dir_remove(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len)
{
    int err = dx_clear(fs, dir);
    struct found f;
    if (err || (err = find(fs, dir, name, len, &f)))
        return err;
    struct dblk db;
    if ((err = dblk_get(fs, dir, f.lblk, &db)))
        return err;
    struct ext4_dirent *d = at(&db, f.off);
    if (f.prev != f.off) {
        struct ext4_dirent *p = at(&db, f.prev);
        set_rec_len(fs, p, rec_len(fs, p) + rec_len(fs, d));
    } else {
        d->inode = 0;
    }
    dblk_dirty(fs, dir, &db);
    ext4_bput(fs, db.b);
    ext4_itime(fs, dir, false, true, true);
    return 0;
}

int ext4_dir_set(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                 ext4_ino_t ino, uint32_t mode)
{
    struct found f;
    int err = find(fs, dir, name, len, &f);
    if (err)
        return err;
    struct dblk db;
    if ((err = dblk_get(fs, dir, f.lblk, &db)))
        return err;
    struct ext4_dirent *d = at(&db, f.off);
    d->inode = ino;
    if (fs->has_filetype)
        d->file_type = ext4_mode_ft(mode);
    dblk_dirty(fs, dir, &db);
    ext4_bput(fs, db.b);
    ext4_itime(fs, dir, false, true, true);
    return 0;
}

int ext4_dir_empty(struct ext4_fs *fs, struct ext4_iref *dir)
{
    uint64_t pos = 0;
    struct ext4_dirent_info *e = ext4_malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    int r;
    while ((r = ext4_dir_next(fs, dir, &pos, e)) == 1) {
        bool dots = (e->name_len == 1 && e->name[0] == '.') ||
                    (e->name_len == 2 && e->name[0] == '.' && e->name[1] == '.');
        if (!dots) {
            r = -ENOTEMPTY;
            break;
        }
    }
    ext4_mfree(e);
    return r;
}

int ext4_dir_init(struct ext4_fs *fs, struct ext4_iref *dir, ext4_ino_t parent)
{
    struct dblk db;
    int err = new_dir_block(fs, dir, 0, &db);
    if (err)
        return err;
    struct ext4_dirent *d = at(&db, 0);
    put_entry(fs, d, ".", 1, dir->ino, EXT4_S_IFDIR);
    set_rec_len(fs, d, 12);
    d = at(&db, 12);
    put_entry(fs, d, "..", 2, parent, EXT4_S_IFDIR);
    set_rec_len(fs, d, db.end - 12);
    dblk_dirty(fs, dir, &db);
    ext4_bput(fs, db.b);
    dir->raw->i_links_count = 2;
    return 0;
}
