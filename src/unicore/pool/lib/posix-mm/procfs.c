/* /proc/self/maps and /proc/self/status (posix-mm), written at each read from the mapping list,
 * so programs that read them (libsigsegv, gnulib's c-stack, allocators, runtimes) get the truth.
 * A small directory is mounted over the root file system's /proc/self; names it does not make
 * (exe: exec's symlink) are looked up and created in the directory it covers. Only when the
 * image has the vfs library. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/posix-mm.h>
#include <uk/vfs.h>

UK_OPTIONAL(uk_vfs_mount_new);
UK_OPTIONAL(uk_vfs_vnode_new);
UK_OPTIONAL(uk_vfs_mkdir_p);
UK_OPTIONAL(uk_vfs_mount);
UK_OPTIONAL(uk_vfs_alloc);
UK_OPTIONAL(uk_vfs_free);

enum { MAPS, STATUS, NFILES };
static const char *const names[NFILES] = { "maps", "status" };
static struct uk_vnode *files[NFILES];

static size_t put_vma(char *buf, size_t size, const struct uk_memory_vma *v)
{
	const char *name = v->name[0] ? v->name : (v->flags & UK_MEMORY_STACK) ? "[stack]" : (v->flags & UK_MEMORY_HEAP) ? "[heap]" : "";
	int n = uk_core_snprintf(buf, size, "%08lx-%08lx %c%c%c%c %08lx 00:00 0%s%s\n", v->lo, v->hi,
			    (v->prot & UK_PROT_READ) ? 'r' : '-', (v->prot & UK_PROT_WRITE) ? 'w' : '-',
			    (v->prot & UK_PROT_EXEC) ? 'x' : '-', (v->flags & UK_MEMORY_SHARED) ? 's' : 'p',
			    (unsigned long)v->off, name[0] ? "                          " : "", name);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static size_t vm_size_kib(void)
{
	size_t kib = 0;

	for (const struct uk_memory_vma *v = uk_memory_current.vmas; v; v = v->next)
		kib += (v->hi - v->lo) / 1024;
	return kib;
}

static size_t put_status(char *buf, size_t size)
{
	const struct uk_memory_space *s = &uk_memory_current;
	int n = uk_core_snprintf(buf, size,
			    "Name:\t%s\nUmask:\t0022\nState:\tR (running)\nTgid:\t1\nPid:\t1\nPPid:\t0\n"
			    "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nThreads:\t1\n",
			    uk_core_boot.argv[0] ? uk_core_boot.argv[0] : "", (unsigned long)vm_size_kib(),
			    (unsigned long)vm_size_kib(), (unsigned long)(s->hiwater_pages * 4),
			    (unsigned long)(s->rss_pages * 4));
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* The whole text, fresh; *len its length. NULL when out of kernel memory. */
static char *render(int which, size_t *len)
{
	size_t nvma = 0, size, used = 0;

	for (const struct uk_memory_vma *v = uk_memory_current.vmas; v; v = v->next)
		nvma++;
	size = which == MAPS ? (nvma + 1) * 128 : 512;
	char *buf = uk_vfs_alloc(size);
	if (!buf)
		return NULL;
	if (which == STATUS)
		used = put_status(buf, size);
	for (const struct uk_memory_vma *v = uk_memory_current.vmas; which == MAPS && v; v = v->next)
		used += put_vma(buf + used, size - used, v);
	*len = used;
	return buf;
}

static long file_read(struct uk_file *f, void *dst, size_t len, uk_off_t off)
{
	size_t total;
	char *text = render((int)(uintptr_t)f->vn->priv, &total);

	if (!text)
		return -ENOMEM;
	size_t n = (size_t)off >= total ? 0 : total - (size_t)off < len ? total - (size_t)off : len;
	memcpy(dst, text + off, n);
	uk_vfs_free(text);
	return (long)n;
}

static const struct uk_vfs_ops file_ops = { .read = file_read };

static struct uk_vnode *covered(struct uk_vnode *dir) { return dir->mnt->covered; }

static long dir_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	for (int i = 0; i < NFILES; i++)
		if (!strcmp(names[i], name)) {
			*out = uk_vnode_get(files[i]);
			return 0;
		}
	struct uk_vnode *under = covered(dir);
	return under->ops->lookup ? under->ops->lookup(under, name, out) : -ENOENT;
}

static long dir_symlink(struct uk_vnode *dir, const char *name, const char *target)
{
	struct uk_vnode *under = covered(dir);

	return under->ops->symlink ? under->ops->symlink(under, name, target) : -EPERM;
}

static long dir_readdir(struct uk_file *f, uint64_t *cookie, uk_vfs_filldir_t fill, void *arg)
{
	for (; *cookie < NFILES + 2; ++*cookie) {
		uint64_t c = *cookie;
		const char *name = c == 0 ? "." : c == 1 ? ".." : names[c - 2];
		uint64_t ino = c < 2 ? f->vn->attr.ino : files[c - 2]->attr.ino;
		if (fill(arg, name, ino, c < 2 ? UK_DT_DIR : UK_DT_REG, c + 1))
			return 1;
	}
	return 0;
}

static const struct uk_vfs_ops dir_ops = { .lookup = dir_lookup, .symlink = dir_symlink, .readdir = dir_readdir };

static void procfs_init(void)
{
	struct uk_mount *m = uk_vfs_mount_new ? uk_vfs_mount_new() : NULL;
	struct uk_vnode *root = m ? uk_vfs_vnode_new(&dir_ops, m, S_IFDIR | 0555, 0) : NULL;

	for (int i = 0; root && i < NFILES; i++) {
		if (!(files[i] = uk_vfs_vnode_new(&file_ops, m, S_IFREG | 0444, 0)))
			return;
		files[i]->priv = (void *)(uintptr_t)i;
	}
	if (root && !uk_vfs_mkdir_p("/proc/self", 0555))
		uk_vfs_mount("/proc/self", root, NULL);
}
UK_INIT(procfs_init, 6);
