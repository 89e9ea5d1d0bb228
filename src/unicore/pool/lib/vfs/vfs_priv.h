/* vfs internals shared by its source files (not part of the public API). */
#ifndef UK_VFS_PRIV_H
#define UK_VFS_PRIV_H

#include <uk/vfs.h>

int uk_vfs_ready(void);
const char *uk_vfs_cwd(void);
const char *uk_vfs_fd_dirpath(int fd, long *err);
long uk_vfs_truncate_vn(struct uk_vnode *vn, uk_off_t len);
long uk_vfs_set_cwd(char *path);
long uk_vfs_chdir(const char *path); /* sys_open.c: chdir, and the cwd= token at init */
int uk_vfs_fd_cloexec(int fd, int set);
int uk_vfs_fd_install_at(struct uk_file *f, int fd, int cloexec);
long uk_vfs_fd_close(int fd);
int uk_vfs_is_mount_root(struct uk_vnode *vn);
void uk_vfs_locks_release(struct uk_vnode *vn);
long uk_vfs_do_open(int dirfd, const char *path, int flags, uint32_t mode);

#define UK_VFS_READY() uk_vfs_ready()
#define UK_PTR(x) ((void *)(uintptr_t)(x))

static inline long uk_vfs_refresh(struct uk_vnode *vn)
{
	return vn->ops->getattr ? vn->ops->getattr(vn) : 0;
}

/* Refresh through the open file when the file system can: an unlinked file stays valid. */
static inline long uk_vfs_frefresh(struct uk_file *f)
{
	if (f->vn->ops->fgetattr && f->priv && !(f->flags & O_PATH))
		return f->vn->ops->fgetattr(f);
	return uk_vfs_refresh(f->vn);
}

#endif
