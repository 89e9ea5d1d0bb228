/* vfs: open file descriptions, the fd table, the cwd, the console on fds 0-2, lazy init, and
 * the mmap hook for the mm library. One table per process: the first one's is static; with
 * processes (lib/proc) fork copies it (uk_vfs_files_fork) and a switch installs another. */
#include "vfs_priv.h"
#include <uk/9pfs.h>
#include <uk/hostfs.h>
#include <uk/devfs.h>
#include <uk/initrd.h>
#include <uk/link.h>
#include <uk/tty.h>

UK_OPTIONAL(uk_tty_ioctl);

#define UK_VFS_FD_MAX 1024

struct fd_slot {
	struct uk_file *f;
	int cloexec;
};

struct uk_vfs_files {
	struct fd_slot tab[UK_VFS_FD_MAX];
	char *cwd;
};

static struct uk_vfs_files first_files, *files = &first_files;
#define fdtab (files->tab)
static int inited;
struct uk_vnode *uk_vfs_console_vn;

/* Optional libraries hook in through weak references: absent ones are simply NULL. */
UK_OPTIONAL(uk_devfs_init);
UK_OPTIONAL(uk_initrd_init);
UK_OPTIONAL(uk_9pfs_init);
UK_OPTIONAL(uk_hostfs_init);

const char *uk_vfs_cwd(void)
{
	return files->cwd ? files->cwd : "/";
}

long uk_vfs_set_cwd(char *path)
{
	if (files->cwd)
		uk_vfs_free(files->cwd);
	files->cwd = path;
	return 0;
}

struct uk_file *uk_vfs_fd_get(int fd)
{
	if (fd < 0 || fd >= UK_VFS_FD_MAX)
		return NULL;
	return fdtab[fd].f;
}

int uk_vfs_fd_cloexec(int fd, int set)
{
	if (set >= 0)
		fdtab[fd].cloexec = set;
	return fdtab[fd].cloexec;
}

const char *uk_vfs_fd_dirpath(int fd, long *err)
{
	struct uk_file *f = uk_vfs_fd_get(fd);

	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (!UK_S_ISDIR(f->vn->attr.mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	return f->path;
}

int uk_vfs_fd_install(struct uk_file *f, int minfd, int cloexec)
{
	int fd;

	for (fd = minfd < 0 ? 0 : minfd; fd < UK_VFS_FD_MAX; fd++) {
		if (!fdtab[fd].f) {
			fdtab[fd].f = f;
			fdtab[fd].cloexec = cloexec;
			return fd;
		}
	}
	uk_vfs_file_put(f);
	return -EMFILE;
}

/* Put `f` at exactly `fd`, closing what was there (dup2/dup3). */
int uk_vfs_fd_install_at(struct uk_file *f, int fd, int cloexec)
{
	struct uk_file *old = fdtab[fd].f;

	fdtab[fd].f = f;
	fdtab[fd].cloexec = cloexec;
	if (old) {
		uk_vfs_locks_release(old->vn);
		uk_vfs_file_put(old);
	}
	return fd;
}

long uk_vfs_fd_close(int fd)
{
	struct uk_file *f = uk_vfs_fd_get(fd);

	if (!f)
		return -EBADF;
	fdtab[fd].f = NULL;
	/* POSIX: closing any fd of a file drops all of the process's record locks on it */
	uk_vfs_locks_release(f->vn);
	uk_vfs_file_put(f);
	return 0;
}

struct uk_file *uk_vfs_file_open(struct uk_vnode *vn, int flags, const char *path, long *err)
{
	struct uk_file *f = uk_vfs_alloc(sizeof(*f));

	*err = -ENOMEM;
	if (!f)
		return NULL;
	f->path = uk_vfs_strdup(path ? path : "");
	if (!f->path) {
		uk_vfs_free(f);
		return NULL;
	}
	f->vn = uk_vnode_get(vn);
	f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC);
	f->refcnt = 1;
	*err = vn->ops->open && !(flags & O_PATH) ? vn->ops->open(f) : 0;
	if (*err) {
		uk_vfs_vnode_put(vn);
		uk_vfs_free(f->path);
		uk_vfs_free(f);
		return NULL;
	}
	return f;
}

void uk_vfs_file_put(struct uk_file *f)
{
	if (!f || --f->refcnt)
		return;
	uk_vfs_file_gone(f);
	if (f->vn->ops->close && !(f->flags & O_PATH))
		f->vn->ops->close(f);
	uk_vfs_vnode_put(f->vn);
	uk_vfs_free(f->path);
	uk_vfs_free(f);
}

/* ---------------------------------------------------------------- processes */

struct uk_vfs_files *uk_vfs_files_current(void) { return files; }
void uk_vfs_files_set(struct uk_vfs_files *t) { files = t; }

/* The child's table: the same open files (one more reference each) and cwd. */
struct uk_vfs_files *uk_vfs_files_fork(void)
{
	struct uk_vfs_files *t = uk_vfs_alloc(sizeof(*t));

	if (!t || (files->cwd && !(t->cwd = uk_vfs_strdup(files->cwd)))) {
		uk_vfs_free(t);
		return NULL;
	}
	for (int fd = 0; fd < UK_VFS_FD_MAX; fd++)
		if ((t->tab[fd] = fdtab[fd]).f)
			t->tab[fd].f->refcnt++;
	return t;
}

/* execve: descriptors opened with O_CLOEXEC / FD_CLOEXEC close. */
void uk_vfs_files_exec(void)
{
	for (int fd = 0; fd < UK_VFS_FD_MAX; fd++)
		if (fdtab[fd].f && fdtab[fd].cloexec)
			uk_vfs_fd_close(fd);
}

/* The process ended: every descriptor closes (pipe ends too: readers see end of file). */
void uk_vfs_files_release(struct uk_vfs_files *t)
{
	struct uk_vfs_files *was = files;

	files = t;
	for (int fd = 0; fd < UK_VFS_FD_MAX; fd++)
		if (fdtab[fd].f)
			uk_vfs_fd_close(fd);
	uk_vfs_free(files->cwd);
	files = was == t ? &first_files : was;
	if (t != &first_files)
		uk_vfs_free(t);
}

/* ---------------------------------------------------------------- console */

/* Which host stream a console file writes is the file's, not the fd's: after dup2(1, 2) the
 * program's fd 2 writes to stdout, as on Linux. */
#define CONSOLE_STDERR ((void *)2)

static long con_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	(void)off;
	return uk_vfs_console_read(buf, len, f->flags & O_NONBLOCK);
}

static long con_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	(void)off;
	return uk_vfs_console_write(f->priv == CONSOLE_STDERR ? 2 : 1, buf, len);
}

/* Terminal ioctls for the stream this file stands for (lib/tty; ENOTTY without it). */
static long con_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	int stream = f->priv == CONSOLE_STDERR ? 2 : (f->flags & O_ACCMODE) == O_RDONLY ? 0 : 1;

	return uk_tty_ioctl ? uk_tty_ioctl(stream, req, arg) : -ENOTTY;
}

const struct uk_vfs_ops uk_vfs_console_ops = {
	.read = con_read,
	.write = con_write,
	.ioctl = con_ioctl,
};

static long console_fds(void)
{
	long err;
	int fd;

	uk_vfs_console_vn = uk_vfs_vnode_new(&uk_vfs_console_ops, NULL, S_IFCHR | 0620, 0);
	if (!uk_vfs_console_vn)
		return -ENOMEM;
	uk_vfs_console_vn->attr.rdev = (5 << 8) | 1; /* like /dev/console */
	for (fd = 0; fd < 3; fd++) { /* like the pipes `unicore run` connects: stdin read-only */
		struct uk_file *f = uk_vfs_file_open(uk_vfs_console_vn, fd ? O_WRONLY : O_RDONLY,
						     "/dev/console", &err);

		if (!f)
			return err;
		f->priv = fd == 2 ? CONSOLE_STDERR : NULL;
		uk_vfs_fd_install_at(f, fd, 0);
	}
	return 0;
}

/* ---------------------------------------------------------------- init */

static void init_part(const char *what, long (*fn)(void))
{
	long err = fn();

	if (err < 0) {
		uk_vfs_log("vfs: initialisation failed:");
		uk_vfs_log(what);
	}
}

/* The working directory the runner asked for (`unicore run -w`: the cwd= kernel token), made
 * when missing as `docker run -w` does; after the volumes, so it may be inside one. */
static long start_cwd(void)
{
	const char *want = uk_vfs_boot_param("cwd");
	long err;

	if (!want)
		return 0;
	err = want[0] == '/' ? uk_vfs_mkdir_p(want, 0755) : -EINVAL;
	return err ? err : uk_vfs_chdir(want);
}

long uk_vfs_init(void)
{
	if (inited)
		return 0;
	inited = 1;
	init_part("root file system", uk_rootfs_mount);
	init_part("console on fds 0-2", console_fds);
	if (uk_devfs_init)
		init_part("devfs", uk_devfs_init);
	if (uk_initrd_init)
		init_part("initrd", uk_initrd_init);
	if (uk_9pfs_init)
		init_part("9p volumes", uk_9pfs_init);
	if (uk_hostfs_init)
		init_part("host volumes", uk_hostfs_init);
	if (start_cwd() < 0) { /* the program must not run elsewhere than asked: 126, as a shell */
		uk_vfs_log("vfs: cannot enter the working directory (cwd= token): not a directory");
		uk_vfs_fail(126);
	}
	return 0;
}

int uk_vfs_ready(void)
{
	if (!inited)
		uk_vfs_init();
	return 1;
}

/* ---------------------------------------------------------------- mmap hook */

long uk_vfs_mmap_fill(int fd, uk_off_t off, void *dst, size_t len)
{
	struct uk_file *f;
	size_t done = 0;
	long n = 0;

	uk_vfs_ready();
	f = uk_vfs_fd_get(fd);
	if (!f || (f->flags & O_PATH))
		return -EBADF;
	if (!UK_S_ISREG(f->vn->attr.mode) || !f->vn->ops->read)
		return -ENODEV;
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	if (off < 0)
		return -EINVAL;
	while (done < len) {
		n = f->vn->ops->read(f, (char *)dst + done, len - done, off + (uk_off_t)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (n < 0)
		return n;
	uk_vfs_memset((char *)dst + done, 0, len - done);
	return 0;
}
