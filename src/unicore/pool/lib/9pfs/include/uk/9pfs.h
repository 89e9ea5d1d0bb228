/* 9pfs: a 9P2000.L client (over virtio-9p) that mounts host directories into the vfs. */
#ifndef UK_9PFS_H
#define UK_9PFS_H

#include <uk/vfs.h>

/* ---- messages (p9_msg.c: pure encoding, unit-tested on the host) ---- */
enum {
	UK_P9_TLERROR = 6, UK_P9_RLERROR, UK_P9_TSTATFS = 8, UK_P9_RSTATFS,
	UK_P9_TLOPEN = 12, UK_P9_RLOPEN, UK_P9_TLCREATE = 14, UK_P9_RLCREATE,
	UK_P9_TSYMLINK = 16, UK_P9_RSYMLINK, UK_P9_TREADLINK = 22, UK_P9_RREADLINK,
	UK_P9_TGETATTR = 24, UK_P9_RGETATTR, UK_P9_TSETATTR = 26, UK_P9_RSETATTR,
	UK_P9_TREADDIR = 40, UK_P9_RREADDIR, UK_P9_TFSYNC = 50, UK_P9_RFSYNC,
	UK_P9_TLINK = 70, UK_P9_RLINK,
	UK_P9_TMKDIR = 72, UK_P9_RMKDIR, UK_P9_TRENAMEAT = 74, UK_P9_RRENAMEAT,
	UK_P9_TUNLINKAT = 76, UK_P9_RUNLINKAT, UK_P9_TVERSION = 100, UK_P9_RVERSION,
	UK_P9_TATTACH = 104, UK_P9_RATTACH, UK_P9_TWALK = 110, UK_P9_RWALK,
	UK_P9_TREAD = 116, UK_P9_RREAD, UK_P9_TWRITE = 118, UK_P9_RWRITE,
	UK_P9_TCLUNK = 120, UK_P9_RCLUNK,
};

#define UK_P9_NOTAG 0xffff
#define UK_P9_NOFID 0xffffffffu
#define UK_P9_HDR 7 /* size[4] type[1] tag[2] */

struct uk_9pfs_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* A message being built or read; `err` sticks once a field did not fit. */
struct uk_9pfs_msg {
	uint8_t *buf;
	uint32_t cap, pos, len;
	int err;
};

void uk_9pfs_begin(struct uk_9pfs_msg *m, uint8_t type, uint16_t tag);
void uk_9pfs_finish(struct uk_9pfs_msg *m); /* writes size[4]; len = pos */
void uk_9pfs_put8(struct uk_9pfs_msg *m, uint8_t v);
void uk_9pfs_put16(struct uk_9pfs_msg *m, uint16_t v);
void uk_9pfs_put32(struct uk_9pfs_msg *m, uint32_t v);
void uk_9pfs_put64(struct uk_9pfs_msg *m, uint64_t v);
void uk_9pfs_putstr(struct uk_9pfs_msg *m, const char *s);
void uk_9pfs_putbytes(struct uk_9pfs_msg *m, const void *p, uint32_t n);

/* Start reading a reply of `len` bytes: checks size, returns its type (or -EIO), pos after tag. */
int uk_9pfs_open_reply(struct uk_9pfs_msg *m, uint32_t len);
uint8_t uk_9pfs_get8(struct uk_9pfs_msg *m);
uint16_t uk_9pfs_get16(struct uk_9pfs_msg *m);
uint32_t uk_9pfs_get32(struct uk_9pfs_msg *m);
uint64_t uk_9pfs_get64(struct uk_9pfs_msg *m);
/* A string: pointer into the buffer (not NUL-terminated) and its length. */
const char *uk_9pfs_getstr(struct uk_9pfs_msg *m, uint16_t *n);
void uk_9pfs_getqid(struct uk_9pfs_msg *m, struct uk_9pfs_qid *q);

/* ---- client ---- */
struct uk_9pfs_conn;
/* Transport: send req (len bytes), receive the reply into resp (cap bytes); returns reply length or -errno. */
typedef long (*uk_9pfs_xfer_t)(void *dev, const void *req, uint32_t len, void *resp, uint32_t cap);

/* Negotiate the version, attach, and mount the export at `path` in the vfs. */
long uk_9pfs_mount(const char *path, uk_9pfs_xfer_t xfer, void *dev, uint32_t msize);
/* Boot hook called by vfs: mount every virtio-9p device at its tag. */
long uk_9pfs_init(void);

#endif
