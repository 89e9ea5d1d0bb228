/* initrd: cpio newc reader. Each entry is a 110-byte ASCII header ("070701" or "070702", then
 * 13 eight-digit hex fields), the NUL-terminated name, padding to 4 bytes, the data, padding
 * to 4 bytes; "TRAILER!!!" ends the archive. Directories, regular files and symlinks are
 * created through the vfs syscall handlers, so quota and path rules are the usual ones. */
#include <uk/initrd.h>
#include <uk/image.h>
#include <uk/link.h>

/* Core's archive (uk/image.h); weak because the host tests link no core. */
UK_OPTIONAL(uk_core_initrd);
UK_OPTIONAL(uk_core_initrd_release);

#define HDR_LEN 110

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_SIZE, F_DEVMAJ, F_DEVMIN,
       F_RDEVMAJ, F_RDEVMIN, F_NAMESIZE, F_CHECK, F_COUNT };

struct entry {
	uint32_t f[F_COUNT];
	const char *name; /* as stored: NUL-terminated inside the archive */
	const unsigned char *data;
};

static int hex8(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		unsigned c = p[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | c;
	}
	*out = v;
	return 0;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Parse the entry at `off`; returns the offset of the next one, or 0 when malformed. */
static size_t parse(const unsigned char *buf, size_t len, size_t off, struct entry *e)
{
	const unsigned char *h = buf + off;
	size_t name_end, data_end;
	int i;

	if (len - off < HDR_LEN || h[0] != '0' || h[1] != '7' || h[2] != '0' || h[3] != '7' ||
	    h[4] != '0' || (h[5] != '1' && h[5] != '2'))
		return 0;
	for (i = 0; i < F_COUNT; i++)
		if (hex8(h + 6 + 8 * i, &e->f[i]))
			return 0;
	name_end = off + HDR_LEN + e->f[F_NAMESIZE];
	if (!e->f[F_NAMESIZE] || name_end > len || buf[name_end - 1] != 0)
		return 0;
	e->name = (const char *)h + HDR_LEN;
	e->data = buf + pad4(name_end);
	data_end = pad4(name_end) + e->f[F_SIZE];
	if (pad4(name_end) > len || data_end > len)
		return 0;
	return pad4(data_end) > len ? len : pad4(data_end);
}

static int is_trailer(const struct entry *e)
{
	return !uk_vfs_strcmp(e->name, "TRAILER!!!");
}

/* dest + "/" + name without "./" or "/" prefixes; NULL when nothing is left ("." itself). */
static char *target_path(const char *dest, const char *name)
{
	size_t nd, nn;
	char *p;

	while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	if (!name[0] || (name[0] == '.' && !name[1]))
		return NULL;
	nd = uk_vfs_strlen(dest), nn = uk_vfs_strlen(name);
	p = uk_vfs_alloc(nd + nn + 2);
	if (!p)
		return NULL;
	uk_vfs_memcpy(p, dest, nd);
	p[nd] = '/';
	uk_vfs_memcpy(p + nd + 1, name, nn + 1);
	return p;
}

static long parent_dirs(char *path)
{
	size_t i = uk_vfs_strlen(path);
	long err;

	while (i > 0 && path[i] != '/')
		i--;
	if (i == 0)
		return 0;
	path[i] = 0;
	err = uk_vfs_mkdir_p(path, 0755);
	path[i] = '/';
	return err;
}

static long write_all(long fd, const unsigned char *data, size_t len)
{
	size_t done = 0;
	long n;

	while (done < len) {
		n = uk_sys_write(fd, (long)(data + done), (long)(len - done), 0, 0, 0);
		if (n <= 0)
			return n < 0 ? n : -ENOSPC;
		done += (size_t)n;
	}
	return 0;
}

static long make_file(const char *path, const struct entry *e)
{
	long fd = uk_sys_open((long)path, O_CREAT | O_WRONLY | O_TRUNC, e->f[F_MODE] & 07777, 0, 0, 0);
	long err;

	if (fd < 0)
		return fd;
	err = write_all(fd, e->data, e->f[F_SIZE]);
	uk_sys_close(fd, 0, 0, 0, 0, 0);
	return err;
}

static long make_symlink(const char *path, const struct entry *e)
{
	char *target = uk_vfs_alloc(e->f[F_SIZE] + 1);
	long err;

	if (!target)
		return -ENOMEM;
	uk_vfs_memcpy(target, e->data, e->f[F_SIZE]);
	uk_sys_unlink((long)path, 0, 0, 0, 0, 0);
	err = uk_sys_symlink((long)target, (long)path, 0, 0, 0, 0);
	uk_vfs_free(target);
	return err;
}

/* Owner, mode and mtime as recorded in the archive. */
static void set_attrs(const char *path, const struct entry *e)
{
	struct uk_timespec ts[2] = { { e->f[F_MTIME], 0 }, { e->f[F_MTIME], 0 } };

	uk_sys_fchownat(AT_FDCWD, (long)path, e->f[F_UID], e->f[F_GID], AT_SYMLINK_NOFOLLOW, 0);
	if (!UK_S_ISLNK(e->f[F_MODE]))
		uk_sys_chmod((long)path, e->f[F_MODE] & 07777, 0, 0, 0, 0);
	uk_sys_utimensat(AT_FDCWD, (long)path, (long)ts, AT_SYMLINK_NOFOLLOW, 0, 0);
}

static long make(char *path, const struct entry *e)
{
	long err = parent_dirs(path);

	if (err)
		return err;
	switch (e->f[F_MODE] & S_IFMT) {
	case S_IFDIR:
		err = uk_vfs_mkdir_p(path, e->f[F_MODE] & 07777);
		break;
	case S_IFREG:
		err = make_file(path, e);
		break;
	case S_IFLNK:
		err = make_symlink(path, e);
		break;
	default: /* device nodes, fifos, sockets: devfs provides what exists */
		return 0;
	}
	if (!err)
		set_attrs(path, e);
	return err ? err : 1;
}

long uk_initrd_unpack(const void *buf, size_t len, const char *dest)
{
	const unsigned char *b = buf;
	size_t off = 0, next;
	struct entry e;
	long count = 0, err;
	char *path;

	if (dest[0] == '/' && dest[1] == 0)
		dest = "";
	while (off < len) {
		next = parse(b, len, off, &e);
		if (!next)
			return -EINVAL;
		if (is_trailer(&e))
			return count;
		path = target_path(dest, e.name);
		err = path ? make(path, &e) : 0;
		uk_vfs_free(path);
		if (err < 0)
			return err;
		count += err;
		off = next;
	}
	return -EINVAL; /* no trailer: truncated archive */
}

static int find_archive(const void **buf, size_t *len)
{
	return uk_core_initrd && !uk_core_initrd(buf, len) && *len;
}

long uk_initrd_init(void)
{
	const void *buf;
	size_t len;
	long n;

	if (!find_archive(&buf, &len))
		return 0;
	n = uk_initrd_unpack(buf, len, "/");
	if (n < 0)
		uk_vfs_log(n == -EINVAL ? "initrd: not a valid cpio newc archive"
					: "initrd: could not unpack (file system full?)");
	if (uk_core_initrd_release)
		uk_core_initrd_release();
	return n < 0 ? n : 0;
}
