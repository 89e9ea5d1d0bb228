/* vfs: the virtual file system of the unikernel: vnodes, mounts, path resolution, fd table.
 * File systems (ramfs, devfs, 9pfs) implement struct uk_vfs_ops; the file syscalls live in vfs.
 * Contract with the rest of the kernel: see docs/fs.md. */
#ifndef UK_VFS_H
#define UK_VFS_H

#include <uk/vfs_abi.h>

#define UK_VFS_PATH_MAX 4096
#define UK_VFS_NAME_MAX 255
#define UK_VFS_SYMLOOP_MAX 40

typedef int64_t uk_off_t;

struct uk_vnode;
struct uk_file;
struct uk_waitq; /* core's wait queue (uk/wait.h), opaque here */
struct uk_mount;

/* Attributes every vnode carries; stat() reads them after an optional getattr refresh. */
struct uk_vattr {
	uint32_t mode; /* S_IF* | permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t ino;
	int64_t size;
	int64_t blocks; /* 512-byte units */
	uint64_t rdev;
	struct uk_timespec atime, mtime, ctime;
};

/* setattr mask */
#define UK_VA_MODE 0x01
#define UK_VA_UID 0x02
#define UK_VA_GID 0x04
#define UK_VA_SIZE 0x08
#define UK_VA_ATIME 0x10
#define UK_VA_MTIME 0x20

/* readdir callback: returns non-zero when the caller's buffer is full (entry not taken). */
typedef int (*uk_vfs_filldir_t)(void *arg, const char *name, uint64_t ino, unsigned dtype,
				uint64_t next_cookie);

/* Operations a file system implements; NULL means "not supported" (EPERM/EINVAL/...). Names are
 * single NUL-terminated components, never "." or "..". Returns 0/bytes or a negative errno. */
struct uk_vfs_ops {
	long (*lookup)(struct uk_vnode *dir, const char *name, struct uk_vnode **out);
	long (*create)(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out);
	long (*mkdir)(struct uk_vnode *dir, const char *name, uint32_t mode);
	long (*symlink)(struct uk_vnode *dir, const char *name, const char *target);
	long (*unlink)(struct uk_vnode *dir, const char *name, int isdir);
	long (*rename)(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
		       const char *nname);
	long (*readlink)(struct uk_vnode *vn, char *buf, size_t len);
	long (*getattr)(struct uk_vnode *vn);
	long (*setattr)(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask);
	long (*open)(struct uk_file *f);
	void (*close)(struct uk_file *f);
	long (*read)(struct uk_file *f, void *buf, size_t len, uk_off_t off);
	long (*write)(struct uk_file *f, const void *buf, size_t len, uk_off_t off);
	long (*readdir)(struct uk_file *f, uint64_t *cookie, uk_vfs_filldir_t fill, void *arg);
	long (*fsync)(struct uk_file *f);
	void (*release)(struct uk_vnode *vn); /* last reference dropped */
	long (*statfs)(struct uk_vnode *vn, struct uk_statfs *sf); /* fill type and counts */
	long (*fgetattr)(struct uk_file *f); /* getattr through an open file (works unlinked) */
	long (*link)(struct uk_vnode *dir, const char *name, struct uk_vnode *target);
	/* poll events (UK_POLL*) ready now, and the queue woken when they change (NULL: none);
	 * files without it are always ready for reading and writing */
	unsigned (*poll)(struct uk_file *f, struct uk_waitq **wq);
	/* ioctl requests the vfs does not answer itself (FIONBIO it does): the console's terminal
	 * ioctls (lib/tty), sockets' FIONREAD; NULL: ENOTTY */
	long (*ioctl)(struct uk_file *f, unsigned long cmd, void *arg);
};

struct uk_vfs_lock; /* a POSIX record lock range, private to vfs */

struct uk_vnode {
	const struct uk_vfs_ops *ops;
	struct uk_mount *mnt;
	unsigned long refcnt;
	struct uk_vattr attr;
	void *priv;
	struct uk_vfs_lock *locks;
	int seekable; /* 0 for character devices: lseek gives ESPIPE */
};

struct uk_mount {
	struct uk_mount *next;
	char *path;               /* canonical guest path */
	struct uk_vnode *root;    /* root of the mounted file system (one reference) */
	struct uk_vnode *covered; /* directory it hides (one reference), NULL for "/" */
	uint64_t dev;
	void *priv;
};

/* An open file description (shared by dup'ed fds). */
struct uk_file {
	struct uk_vnode *vn;
	uk_off_t off;
	int flags; /* O_* status flags and access mode */
	unsigned long refcnt;
	char *path; /* canonical path at open time, for *at() and fchdir */
	void *priv; /* file-system private (9p: the open fid) */
};

#define UK_POLLIN 0x001
#define UK_POLLOUT 0x004
#define UK_POLLERR 0x008
#define UK_POLLHUP 0x010

/* --- kernel glue (vfs/glue.c on the unikernel, tests/fs/shim.c on the host) --- */
void *uk_vfs_alloc(size_t size);        /* zeroed memory, NULL on exhaustion */
void uk_vfs_free(void *ptr);
long uk_vfs_console_write(int fd, const char *buf, size_t len); /* fd 1 stdout, 2 stderr */
long uk_vfs_console_read(char *buf, size_t len, int nonblock); /* waits unless nonblock (-EAGAIN); 0 at end */
void uk_vfs_now(struct uk_timespec *ts);        /* wall clock */
void uk_vfs_log(const char *msg);               /* one line to the kernel log */
/* Waiting for another thread (pipes): a queue, block on it (0 when woken, -EINTR for a signal,
 * -EAGAIN where nothing could wake us), wake everyone on it. */
struct uk_waitq *uk_vfs_waitq_new(void);
long uk_vfs_wait(struct uk_waitq *q, const char *what);
void uk_vfs_wake(struct uk_waitq *q);
void uk_vfs_sigpipe(void);                      /* a write found no reader: SIGPIPE to the writer */
void uk_vfs_file_gone(struct uk_file *f);       /* its last reference is going: epoll forgets it */
int uk_vfs_debug(void);                         /* the `debug` boot flag (`unicore run --debug`) */
const char *uk_vfs_boot_param(const char *key); /* a KEY=VALUE kernel token's value, or NULL (cwd=) */
_Noreturn void uk_vfs_fail(int status);         /* end the program before it starts (a bad cwd=) */
void uk_vfs_boot_clock_hold(int hold);         /* 1: new nodes get time 0 (boot), no clock read */
uint32_t uk_vfs_umask(void);                    /* the umask new files get (net: AF_UNIX socket files) */

/* --- vnodes and mounts --- */
struct uk_vnode *uk_vfs_vnode_new(const struct uk_vfs_ops *ops, struct uk_mount *mnt, uint32_t mode,
			      size_t extra); /* refcnt 1, extra zeroed bytes reachable via priv */
static inline struct uk_vnode *uk_vnode_get(struct uk_vnode *vn)
{
	vn->refcnt++;
	return vn;
}
void uk_vfs_vnode_put(struct uk_vnode *vn);
unsigned uk_vfs_dtype(uint32_t mode);
uint64_t uk_vfs_next_ino(void);
void uk_vfs_touch(struct uk_vnode *vn, int atime, int mtime, int ctime);
/* Record mode/uid/gid/atime/mtime of `va` named by `mask` in the vnode (size is the fs's own). */
void uk_vfs_attr_apply(struct uk_vnode *vn, const struct uk_vattr *va, unsigned mask);

/* Create a mount; `root` must carry a reference, which the mount takes. path is canonical. */
long uk_vfs_mount(const char *path, struct uk_vnode *root, void *priv);
struct uk_mount *uk_vfs_mount_new(void); /* an empty mount object with a fresh dev number */
long uk_vfs_mkdir_p(const char *path, uint32_t mode);
/* Called once before the first file syscall (lazy); safe to call more than once. */
long uk_vfs_init(void);

/* Provided by the library that has the "rootfs" capability (ramfs): mount "/" */
long uk_rootfs_mount(void);

/* --- path resolution --- */
#define UK_NAMEI_FOLLOW 0x1   /* follow a symlink in the last component */
#define UK_NAMEI_CREATE 0x2   /* a missing last component is fine (node NULL) */

struct uk_nameidata {
	struct uk_vnode *dir;  /* parent of the last component (referenced) */
	struct uk_vnode *node; /* the object, NULL if missing and UK_NAMEI_CREATE (referenced) */
	char name[UK_VFS_NAME_MAX + 1];
	char *path;            /* canonical path (uk_vfs_alloc'ed) */
	int dotlast;           /* last component was "." or ".." or the path was "/" */
	int trailing_slash;
};
long uk_vfs_namei(int dirfd, const char *path, int flags, struct uk_nameidata *nd);
void uk_vfs_nd_release(struct uk_nameidata *nd);

/* --- fd table --- */
struct uk_file *uk_vfs_fd_get(int fd); /* borrowed pointer, NULL if not open */
int uk_vfs_fd_install(struct uk_file *f, int minfd, int cloexec); /* takes f's reference */
struct uk_file *uk_vfs_file_open(struct uk_vnode *vn, int flags, const char *path, long *err);
void uk_vfs_file_put(struct uk_file *f);
/* Processes (lib/proc): each has its own fd table and cwd. */
struct uk_vfs_files;
struct uk_vfs_files *uk_vfs_files_current(void);
void uk_vfs_files_set(struct uk_vfs_files *t);
struct uk_vfs_files *uk_vfs_files_fork(void);   /* NULL when out of memory */
void uk_vfs_files_exec(void);                   /* close the close-on-exec ones */
void uk_vfs_files_release(struct uk_vfs_files *t);
/* Open a path inside the kernel (initrd, tests), returns an fd or -errno. */
long uk_vfs_kopen(const char *path, int flags, uint32_t mode);

/* --- hook for the mm library: fill `len` bytes of `dst` with file contents from `off`
 * (zero beyond end of file). Returns 0 or -errno (EBADF, EACCES, ENODEV for a non-file). --- */
long uk_vfs_mmap_fill(int fd, uk_off_t off, void *dst, size_t len);
/* posix-mm's mmap for a non-anonymous mapping (same arguments as the syscall): anonymous pages
 * filled with the file's bytes; returns the address or -errno. Kernel only (lib/vfs/glue.c). */
long uk_vfs_mmap_file(long addr, long len, long prot, long flags, long fd, long off);

/* --- small string helpers (no libc in the kernel) --- */
size_t uk_vfs_strlen(const char *s);
int uk_vfs_strcmp(const char *a, const char *b);
char *uk_vfs_strdup(const char *s);
void uk_vfs_memcpy(void *d, const void *s, size_t n);
void uk_vfs_memset(void *d, int c, size_t n);

/* --- the file syscalls (handlers for the generated table) --- */
#define UK_VFS_SYSCALL(name) long uk_sys_##name(long a0, long a1, long a2, long a3, long a4, long a5)
UK_VFS_SYSCALL(read); UK_VFS_SYSCALL(write); UK_VFS_SYSCALL(open); UK_VFS_SYSCALL(close);
UK_VFS_SYSCALL(stat); UK_VFS_SYSCALL(fstat); UK_VFS_SYSCALL(lstat); UK_VFS_SYSCALL(lseek);
UK_VFS_SYSCALL(pread64); UK_VFS_SYSCALL(pwrite64); UK_VFS_SYSCALL(readv); UK_VFS_SYSCALL(writev);
UK_VFS_SYSCALL(access); UK_VFS_SYSCALL(dup); UK_VFS_SYSCALL(dup2); UK_VFS_SYSCALL(fcntl);
UK_VFS_SYSCALL(fsync); UK_VFS_SYSCALL(fdatasync); UK_VFS_SYSCALL(truncate);
UK_VFS_SYSCALL(ftruncate); UK_VFS_SYSCALL(getdents64); UK_VFS_SYSCALL(getcwd);
UK_VFS_SYSCALL(chdir); UK_VFS_SYSCALL(fchdir); UK_VFS_SYSCALL(rename); UK_VFS_SYSCALL(mkdir);
UK_VFS_SYSCALL(rmdir); UK_VFS_SYSCALL(creat); UK_VFS_SYSCALL(unlink); UK_VFS_SYSCALL(symlink);
UK_VFS_SYSCALL(readlink); UK_VFS_SYSCALL(chmod); UK_VFS_SYSCALL(fchmod); UK_VFS_SYSCALL(chown);
UK_VFS_SYSCALL(fchown); UK_VFS_SYSCALL(lchown); UK_VFS_SYSCALL(umask); UK_VFS_SYSCALL(openat);
UK_VFS_SYSCALL(mkdirat); UK_VFS_SYSCALL(fchownat); UK_VFS_SYSCALL(newfstatat);
UK_VFS_SYSCALL(unlinkat); UK_VFS_SYSCALL(renameat); UK_VFS_SYSCALL(renameat2);
UK_VFS_SYSCALL(symlinkat); UK_VFS_SYSCALL(readlinkat); UK_VFS_SYSCALL(fchmodat);
UK_VFS_SYSCALL(faccessat); UK_VFS_SYSCALL(faccessat2); UK_VFS_SYSCALL(utimensat);
UK_VFS_SYSCALL(dup3); UK_VFS_SYSCALL(statx); UK_VFS_SYSCALL(ioctl);
UK_VFS_SYSCALL(utimes); UK_VFS_SYSCALL(futimesat); UK_VFS_SYSCALL(sendfile);
UK_VFS_SYSCALL(copy_file_range); UK_VFS_SYSCALL(preadv); UK_VFS_SYSCALL(pwritev);
UK_VFS_SYSCALL(fallocate); UK_VFS_SYSCALL(flock); UK_VFS_SYSCALL(pipe);
UK_VFS_SYSCALL(pipe2); UK_VFS_SYSCALL(link); UK_VFS_SYSCALL(linkat);

/* statfs of the file system holding (dirfd, path) or fd dirfd (path "", AT_EMPTY_PATH). */
long uk_vfs_statfs(long dirfd, const char *path, int flags, struct uk_statfs *sf);

#endif
