/* Host harness for the initrd library: unpack a cpio file (argv[1]) into ramfs and print the
 * resulting tree, one sorted line per object, for comparison with the source directory.
 * argv[2]: optional ramfs quota in bytes (to provoke ENOSPC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/initrd.h>
#include <uk/ramfs.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len + 1);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* FNV-1a of a file's contents, read back through the vfs. */
static unsigned long long digest(const char *path, long *size)
{
	unsigned long long h = 1469598103934665603ULL;
	unsigned char buf[1000];
	long fd = uk_sys_open((long)path, O_RDONLY, 0, 0, 0, 0), n, i;

	*size = 0;
	while ((n = uk_sys_read(fd, (long)buf, sizeof(buf), 0, 0, 0)) > 0) {
		for (i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211ULL;
		*size += n;
	}
	uk_sys_close(fd, 0, 0, 0, 0, 0);
	return h;
}

static void show(const char *path, const char *rel)
{
	struct uk_stat st;
	char target[256] = { 0 };
	long size;

	uk_sys_lstat((long)path, (long)&st, 0, 0, 0, 0);
	if (UK_S_ISDIR(st.st_mode)) {
		printf("%s dir %o\n", rel, st.st_mode & 07777);
	} else if (UK_S_ISLNK(st.st_mode)) {
		uk_sys_readlink((long)path, (long)target, sizeof(target) - 1, 0, 0, 0);
		printf("%s link %s\n", rel, target);
	} else {
		unsigned long long h = digest(path, &size);
		printf("%s file %o %ld %016llx %ld\n", rel, st.st_mode & 07777, size, h,
		       (long)st.st_mtim.tv_sec);
	}
}

static void walk(const char *dir, const char *rel)
{
	char buf[4096], path[1024], sub[1024];
	long fd = uk_sys_open((long)dir, O_RDONLY | O_DIRECTORY, 0, 0, 0, 0), n, off;

	while ((n = uk_sys_getdents64(fd, (long)buf, sizeof(buf), 0, 0, 0)) > 0) {
		for (off = 0; off < n; off += ((struct uk_dirent64 *)(buf + off))->d_reclen) {
			struct uk_dirent64 *d = (struct uk_dirent64 *)(buf + off);

			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", d->d_name);
			show(path, sub);
			if (d->d_type == UK_DT_DIR)
				walk(path, sub);
		}
	}
	uk_sys_close(fd, 0, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	size_t len = 0;
	char *buf = argc > 1 ? slurp(argv[1], &len) : NULL;
	long n;

	if (!buf) {
		fprintf(stderr, "usage: initrd_prog ARCHIVE [QUOTA]\n");
		return 2;
	}
	uk_vfs_init();
	uk_sys_mkdir((long)"/root", 0755, 0, 0, 0, 0);
	if (argc > 2)
		uk_ramfs_set_quota("/", atol(argv[2]));
	n = uk_initrd_unpack(buf, len, "/root");
	printf("unpacked %ld\n", n);
	if (n >= 0)
		walk("/root", "");
	free(buf);
	return 0;
}
