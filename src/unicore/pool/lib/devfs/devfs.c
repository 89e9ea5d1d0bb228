/* devfs: a fixed directory of character devices mounted at /dev (stdin/stdout/stderr are
 * the console, which fds 0-2 always are in the unikernel).
 * random/urandom come from a xoshiro256** generator seeded from RDRAND when the CPU has it
 * and from the TSC otherwise: unpredictable enough for hash seeds and temp names, not for keys. */
#include <uk/arch.h>
#include <uk/devfs.h>
#include <uk/link.h>
#include <uk/tty.h>

UK_OPTIONAL(uk_tty_ioctl);

struct dev {
	const char *name;
	uint32_t rdev;
	int kind; /* 0 null, 1 zero, 2 random, 3 console (writes: stdout), 4 stderr */
	struct uk_vnode *vn;
};

static struct dev devs[] = {
	{ "console", (5 << 8) | 1, 3, 0 }, { "null", (1 << 8) | 3, 0, 0 },
	{ "random", (1 << 8) | 8, 2, 0 },
	{ "stderr", (5 << 8) | 1, 4, 0 },  { "stdin", (5 << 8) | 1, 3, 0 },
	{ "stdout", (5 << 8) | 1, 3, 0 },  { "tty", (5 << 8) | 0, 3, 0 },
	{ "urandom", (1 << 8) | 9, 2, 0 }, { "zero", (1 << 8) | 5, 1, 0 },
};
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

static uint64_t rng[4];

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;

	rng[2] ^= rng[0], rng[3] ^= rng[1], rng[1] ^= rng[2], rng[0] ^= rng[3];
	rng[2] ^= t, rng[3] = rotl(rng[3], 45);
	return r;
}

/* The CPU's random word when it has one, mixed with the cycle counter (uk/arch.h). */
static uint64_t hw_seed(void)
{
	uint64_t v = 0;

	if (!uk_arch_rdrand64(&v))
		v = 0;
	return v ^ uk_arch_cycles();
}

static void rng_seed(void)
{
	uint64_t z = hw_seed();
	int i;

	for (i = 0; i < 4; i++) { /* splitmix64 spreads one seed over the state */
		z += 0x9e3779b97f4a7c15ULL;
		rng[i] = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		rng[i] = (rng[i] ^ (rng[i] >> 27)) * 0x94d049bb133111ebULL;
		rng[i] ^= rng[i] >> 31;
	}
}

void uk_devfs_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t r = 0;
	size_t i;

	if (!(rng[0] | rng[1] | rng[2] | rng[3]))
		rng_seed();
	for (i = 0; i < len; i++) {
		if (!(i & 7))
			r = rng_next();
		p[i] = (unsigned char)(r >> (8 * (i & 7)));
	}
}

static int kind_of(struct uk_vnode *vn)
{
	return ((struct dev *)vn->priv)->kind;
}

static long dev_read(struct uk_file *f, void *buf, size_t len, uk_off_t off)
{
	(void)off;
	switch (kind_of(f->vn)) {
	case 0: return 0;
	case 1: uk_vfs_memset(buf, 0, len); return (long)len;
	case 2: uk_devfs_random(buf, len); return (long)len;
	default: return uk_vfs_console_read(buf, len, f->flags & O_NONBLOCK);
	}
}

static long dev_write(struct uk_file *f, const void *buf, size_t len, uk_off_t off)
{
	(void)off;
	if (kind_of(f->vn) >= 3)
		return uk_vfs_console_write(kind_of(f->vn) == 4 ? 2 : 1, buf, len);
	return (long)len; /* null, zero and random swallow writes */
}

/* The console's devices are the terminal when the host's are (lib/tty): /dev/stderr the
 * stderr stream's, the others (tty, console, stdout) whichever stream is one. */
static long dev_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	int kind = kind_of(f->vn);

	if (kind < 3 || !uk_tty_ioctl)
		return -ENOTTY;
	return uk_tty_ioctl(kind == 4 ? 2 : UK_TTY_ANY, req, arg);
}

static const struct uk_vfs_ops dev_ops = {
	.read = dev_read,
	.write = dev_write,
	.ioctl = dev_ioctl,
};

static long devdir_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	size_t i;

	(void)dir;
	for (i = 0; i < NDEVS; i++) {
		if (!uk_vfs_strcmp(devs[i].name, name)) {
			*out = uk_vnode_get(devs[i].vn);
			return 0;
		}
	}
	return -ENOENT;
}

static long devdir_readdir(struct uk_file *f, uint64_t *cookie, uk_vfs_filldir_t fill, void *arg)
{
	for (; *cookie < NDEVS + 2; ++*cookie) {
		uint64_t c = *cookie;
		const char *name = c == 0 ? "." : c == 1 ? ".." : devs[c - 2].name;
		uint64_t ino = c < 2 ? f->vn->attr.ino : devs[c - 2].vn->attr.ino;

		if (fill(arg, name, ino, c < 2 ? UK_DT_DIR : UK_DT_CHR, c + 1))
			return 1;
	}
	return 0;
}

static const struct uk_vfs_ops devdir_ops = {
	.lookup = devdir_lookup,
	.readdir = devdir_readdir,
};

long uk_devfs_init(void)
{
	struct uk_mount *m = uk_vfs_mount_new();
	struct uk_vnode *root;
	size_t i;
	long err;

	if (!m)
		return -ENOMEM;
	for (i = 0; i < NDEVS; i++) {
		devs[i].vn = uk_vfs_vnode_new(&dev_ops, m, S_IFCHR | 0666, 0);
		if (!devs[i].vn)
			return -ENOMEM;
		devs[i].vn->priv = &devs[i];
		devs[i].vn->attr.rdev = devs[i].rdev;
		devs[i].vn->seekable = devs[i].kind != 3; /* like Linux: only the tty refuses */
	}
	root = uk_vfs_vnode_new(&devdir_ops, m, S_IFDIR | 0755, 0);
	if (!root)
		return -ENOMEM;
	err = uk_vfs_mkdir_p("/dev", 0755);
	return err ? err : uk_vfs_mount("/dev", root, NULL);
}
