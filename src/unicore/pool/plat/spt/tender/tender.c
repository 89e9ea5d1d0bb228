/* The spt tender: runs a unicore image (plat spt) inside its own process, sandboxed (docs/spt.md).
 *
 *   unicore-spt [--mem MB] [--kernel-fd N] [--control-fd N] [--volume HOSTDIR[:ro]]... IMAGE CMDLINE
 *
 * It maps the guest's RAM from a memfd at address == file offset, copies the image's PT_LOAD
 * segments in, sets up the fds the platform expects (0-2 the program's stdio, 3 kernel messages,
 * 4 control lines, 5 the RAM memfd, 6 on the volume directories), installs the image's signal handlers (read from its
 * .note.uk.host) on the image's alternate stack, then, before the image's first instruction:
 * no_new_privs, a seccomp filter that allows only the host calls plat/spt makes (arguments
 * pinned where the filter can) and kills the process on anything else, and syscall user
 * dispatch so that every `syscall` outside the kernel's own code is a SIGSYS to the kernel.
 * With volumes, a Landlock ruleset first confines every path the process can reach to the
 * volume directories (read-only for :ro ones).
 * Errors before the jump: one line on stderr, exit 125. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uk/spt.h>

#define SA_RESTORER 0x04000000
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

static _Noreturn void die(const char *what, const char *detail)
{
	dprintf(fcntl(UK_LINUX_FD_KERNEL, F_GETFD) >= 0 ? UK_LINUX_FD_KERNEL : 2, "unicore-spt: %s%s%s\n", what,
		detail ? ": " : "", detail ? detail : "");
	exit(125);
}

/* ---- the image ---- */
struct image {
	unsigned char *data;
	size_t len;
	const Elf64_Ehdr *eh;
	struct uk_linux_note note;
};

static void read_image(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		die("cannot open the image", strerror(errno));
	im->len = (size_t)st.st_size;
	im->data = mmap(NULL, im->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	im->eh = (const Elf64_Ehdr *)im->data;
	if (im->data == MAP_FAILED || im->len < sizeof(Elf64_Ehdr) || memcmp(im->eh->e_ident, ELFMAG, SELFMAG) ||
	    im->eh->e_ident[EI_CLASS] != ELFCLASS64 || im->eh->e_machine != EM_X86_64 ||
	    im->eh->e_phoff + (size_t)im->eh->e_phnum * sizeof(Elf64_Phdr) > im->len)
		die("not an x86_64 ELF image", path);
}

static const Elf64_Phdr *phdr(const struct image *im, int i)
{
	return (const Elf64_Phdr *)(im->data + im->eh->e_phoff) + i;
}

/* The note owner "unicore", type UK_LINUX_NOTE_TYPE: the image's entry points for the host. */
static int find_note(struct image *im, const Elf64_Phdr *ph)
{
	for (size_t off = ph->p_offset; off + 12 <= ph->p_offset + ph->p_filesz && off + 12 <= im->len;) {
		uint32_t h[3];
		memcpy(h, im->data + off, 12);
		size_t name = off + 12, desc = name + ((h[0] + 3) & ~3u);
		if (desc + h[1] > im->len)
			return 0;
		if (h[2] == UK_LINUX_NOTE_TYPE && h[0] == 8 && !memcmp(im->data + name, "unicore", 8) &&
		    h[1] >= sizeof(im->note)) {
			memcpy(&im->note, im->data + desc, sizeof(im->note));
			return 1;
		}
		off = desc + ((h[1] + 3) & ~3u);
	}
	return 0;
}

static void load_image(struct image *im, uint64_t ram_end)
{
	int found = 0;

	for (int i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = phdr(im, i);
		if (ph->p_type == PT_NOTE)
			found |= find_note(im, ph);
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_vaddr < UK_SPT_RAM_BASE || ph->p_vaddr + ph->p_memsz > ram_end || ph->p_filesz > ph->p_memsz ||
		    ph->p_offset + ph->p_filesz > im->len)
			die("the image does not fit in RAM", "give more memory (--mem)");
		memcpy((void *)ph->p_vaddr, im->data + ph->p_offset, ph->p_filesz);
	}
	if (!found || im->note.version != 1)
		die("not an spt image (no unicore note): build it with --target spt/x86_64", NULL);
}

/* ---- host set-up ---- */
static void map_ram(uint64_t ram_end)
{
	int fd = (int)syscall(SYS_memfd_create, "unicore-ram", 0);

	if (fd < 0 || ftruncate(fd, (off_t)ram_end))
		die("cannot create the guest's RAM", strerror(errno));
	if (dup2(fd, UK_LINUX_FD_RAM) < 0)
		die("dup2", strerror(errno));
	if (fd != UK_LINUX_FD_RAM)
		close(fd);
	void *at = mmap((void *)UK_SPT_RAM_BASE, ram_end - UK_SPT_RAM_BASE, PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_SHARED | MAP_FIXED_NOREPLACE, UK_LINUX_FD_RAM, UK_SPT_RAM_BASE);
	if (at != (void *)UK_SPT_RAM_BASE)
		die("cannot map the guest's RAM at 64 KiB", strerror(errno));
}

/* fds 0-2 exist (else /dev/null), 3 is the kernel stream (else a copy of stderr), 4 the control
 * channel (else /dev/null); every other fd above 5 is closed. */
static void setup_fds(void)
{
	for (int fd = 0; fd <= UK_LINUX_FD_CONTROL; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = fd == UK_LINUX_FD_KERNEL ? dup(UK_LINUX_FD_STDERR) : open("/dev/null", fd ? O_WRONLY : O_RDONLY);
		if (n != fd && (n < 0 || dup2(n, fd) < 0 || close(n)))
			die("cannot set up fds 0-4", strerror(errno));
	}
	syscall(SYS_close_range, UK_LINUX_FD_RAM + 1, ~0U, 0);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is EPIPE for the guest, as natively */
}

struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};

static void handle(int sig, uint64_t fn, const struct uk_linux_note *n)
{
	struct kernel_sigaction sa = { fn, SA_SIGINFO | SA_ONSTACK | SA_RESTORER | (sig == SIGALRM ? SA_RESTART : 0),
				       n->restorer, sig == SIGALRM ? 0 : 1ULL << (SIGALRM - 1) };

	if (syscall(SYS_rt_sigaction, sig, &sa, NULL, 8))
		die("rt_sigaction", strerror(errno));
}

static void install_handlers(const struct uk_linux_note *n)
{
	stack_t ss = { .ss_sp = (void *)n->altstack, .ss_size = n->altstack_len };
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };

	if (sigaltstack(&ss, NULL))
		die("sigaltstack", strerror(errno));
	handle(SIGSYS, n->on_syscall, n);
	handle(SIGALRM, n->on_timer, n);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		handle(faults[i], n->on_fault, n);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* The TSC rate: measured against CLOCK_MONOTONIC over 2 ms. */
static uint64_t tsc_hz(void)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = rdtsc(), t1;

	while ((t1 = clock_ns(CLOCK_MONOTONIC)) - t0 < 2000000)
		;
	return (uint64_t)((unsigned __int128)(rdtsc() - c0) * 1000000000ULL / (t1 - t0));
}

/* ---- volumes: host directories at fds 6 on, the only paths Landlock lets the process reach ---- */
struct volumes {
	int n;
	const char *spec[UK_LINUX_VOLUMES_MAX];
	int readonly[UK_LINUX_VOLUMES_MAX];
};

static void open_volumes(struct volumes *v)
{
	for (int i = 0; i < v->n; i++) {
		int fd = open(v->spec[i], O_PATH | O_DIRECTORY);
		if (fd < 0)
			die("cannot open the volume directory", v->spec[i]);
		if (fd != UK_LINUX_FD_VOLUME0 + i && (dup2(fd, UK_LINUX_FD_VOLUME0 + i) < 0 || close(fd)))
			die("dup2", strerror(errno));
	}
}

/* The rights Landlock knows at this ABI (bits 0-12 from ABI 1, REFER 2, TRUNCATE 3, IOCTL_DEV 5). */
static uint64_t landlock_rights(long abi)
{
	uint64_t all = (1ULL << 13) - 1;

	all |= abi >= 2 ? 1ULL << 13 : 0;
	all |= abi >= 3 ? 1ULL << 14 : 0;
	all |= abi >= 5 ? 1ULL << 15 : 0;
	return all;
}

struct beneath { /* struct landlock_path_beneath_attr */
	uint64_t allowed;
	int32_t fd;
} __attribute__((packed));

/* A ruleset handling every file-system right, allowing them only beneath the volume fds. */
static void confine_to_volumes(const struct volumes *v)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	const uint64_t ro = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

	if (abi < 1)
		die("host volumes need Landlock, which this kernel lacks", strerror(errno));
	struct landlock_ruleset_attr attr = { .handled_access_fs = landlock_rights(abi) };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		die("landlock_create_ruleset", strerror(errno));
	for (int i = 0; i < v->n; i++) {
		struct beneath b = { v->readonly[i] ? ro : attr.handled_access_fs, UK_LINUX_FD_VOLUME0 + i };
		if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &b, 0))
			die("landlock_add_rule", strerror(errno));
	}
	if (syscall(SYS_landlock_restrict_self, rs, 0) || close(rs))
		die("landlock_restrict_self", strerror(errno));
}

/* ---- the sandbox (docs/spt.md lists the calls and why) ---- */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define KILL BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

struct filter {
	struct sock_filter f[1024];
	unsigned n;
};

static void emit(struct filter *f, struct sock_filter s)
{
	if (f->n == sizeof(f->f) / sizeof(f->f[0]))
		die("seccomp filter too long", NULL);
	f->f[f->n++] = s;
}

/* Argument i within [lo, hi] (64-bit: the high word must match too); anything else kills. */
static void arg_in(struct filter *f, int i, uint64_t lo, uint64_t hi)
{
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(i)));
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 1, 0));
	emit(f, (struct sock_filter)KILL);
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(i)));
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 1, 0));
	emit(f, (struct sock_filter)KILL);
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)hi, 0, 1));
	emit(f, (struct sock_filter)KILL);
}

struct check {
	int arg;
	uint64_t lo, hi;
};

/* One allowed call: nr, with its checked arguments (hi == lo for an exact value). */
static void allow(struct filter *f, int nr, const struct check *checks, int nchecks)
{
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	unsigned jump = f->n;
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0));
	for (int i = 0; i < nchecks; i++)
		if (checks[i].arg >= 0)
			arg_in(f, checks[i].arg, checks[i].lo, checks[i].hi);
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	f->f[jump].jf = (uint8_t)(f->n - jump - 1);
}

#define ALLOW(f, nr, ...) do { \
	const struct check c[] = { __VA_ARGS__ }; \
	allow(f, nr, c, (int)(sizeof(c) / sizeof(c[0]))); \
} while (0)
#define ANY { -1, 0, 0 }

/* The host calls of lib/hostfs (docs/spt.md): names only relative to a volume's directory fd,
 * data only through the fds opened there (above the volume fds). */
static void allow_volumes(struct filter *f, int nvol)
{
	const uint64_t v0 = UK_LINUX_FD_VOLUME0, vn = v0 + (uint64_t)nvol - 1, any = UK_LINUX_FD_MAX;

	ALLOW(f, SYS_openat, { 0, v0, vn });
	ALLOW(f, SYS_newfstatat, { 0, v0, any });
	ALLOW(f, SYS_getdents64, { 0, vn + 1, any });
	ALLOW(f, SYS_pread64, { 0, vn + 1, any });
	ALLOW(f, SYS_pwrite64, { 0, vn + 1, any });
	ALLOW(f, SYS_ftruncate, { 0, vn + 1, any });
	ALLOW(f, SYS_fsync, { 0, vn + 1, any });
	ALLOW(f, SYS_close, { 0, vn + 1, any });
	ALLOW(f, SYS_mkdirat, { 0, v0, vn });
	ALLOW(f, SYS_unlinkat, { 0, v0, vn });
	ALLOW(f, SYS_renameat, { 0, v0, vn }, { 2, v0, vn });
	ALLOW(f, SYS_linkat, { 0, v0, vn }, { 2, v0, vn }, { 4, 0, 0 });
	ALLOW(f, SYS_symlinkat, { 1, v0, vn });
	ALLOW(f, SYS_readlinkat, { 0, v0, vn });
	ALLOW(f, SYS_fchmodat, { 0, v0, vn });
	ALLOW(f, SYS_utimensat, { 0, v0, vn });
}

static void build_filter(struct filter *f, const struct uk_linux_note *n, int nvol)
{
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(f, (struct sock_filter)KILL);
	ALLOW(f, SYS_read, { 0, UK_LINUX_FD_STDIN, UK_LINUX_FD_STDIN });
	ALLOW(f, SYS_write, { 0, UK_LINUX_FD_STDOUT, UK_LINUX_FD_CONTROL });
	ALLOW(f, SYS_ppoll, { 1, 0, 1 }, { 3, 0, 0 });                        /* stdin only, no mask change */
	ALLOW(f, SYS_clock_gettime, { 0, CLOCK_REALTIME, CLOCK_MONOTONIC });
	ALLOW(f, SYS_setitimer, { 0, ITIMER_REAL, ITIMER_REAL });
	ALLOW(f, SYS_mmap, { 3, MAP_SHARED | MAP_FIXED, MAP_SHARED | MAP_FIXED }, { 4, UK_LINUX_FD_RAM, UK_LINUX_FD_RAM });
	ALLOW(f, SYS_rt_sigreturn, ANY);
	ALLOW(f, SYS_exit_group, ANY);
	uint64_t lo = n->region_lo, len = n->region_hi - n->region_lo;
	ALLOW(f, SYS_prctl, { 0, PR_SET_SYSCALL_USER_DISPATCH, PR_SET_SYSCALL_USER_DISPATCH },
	      { 1, PR_SYS_DISPATCH_ON, PR_SYS_DISPATCH_ON }, { 2, lo, lo }, { 3, len, len }, { 4, 0, 0 });
	if (nvol)
		allow_volumes(f, nvol);
	emit(f, (struct sock_filter)KILL);
}

/* no_new_privs, the filter, then syscall user dispatch (the filter allows exactly this prctl):
 * from here on only the image's own code reaches the host, and only for the calls above. */
static void sandbox(const struct uk_linux_note *n, const struct volumes *v)
{
	static struct filter f;
	struct sock_fprog prog;

	build_filter(&f, n, v->n);
	prog = (struct sock_fprog){ (unsigned short)f.n, f.f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("no_new_privs", strerror(errno));
	if (v->n)
		confine_to_volumes(v);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		die("cannot install the seccomp filter", strerror(errno));
	if (syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, n->region_lo,
		    n->region_hi - n->region_lo, 0))
		die("syscall user dispatch", strerror(errno));
}

static uint64_t number(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		die(opt, "not a number in range");
	return v;
}

/* The runner's fds for 3 and 4, moved there once both are known (either may be 3 or 4 now). */
static void move_fds(const int from[2])
{
	int high[2] = { -1, -1 };

	for (int i = 0; i < 2; i++)
		if (from[i] >= 0 && ((high[i] = fcntl(from[i], F_DUPFD, 100)) < 0 || close(from[i])))
			die("--kernel-fd/--control-fd", strerror(errno));
	for (int i = 0; i < 2; i++)
		if (high[i] >= 0 && (dup2(high[i], UK_LINUX_FD_KERNEL + i) < 0 || close(high[i])))
			die("--kernel-fd/--control-fd", strerror(errno));
}

static void add_volume(struct volumes *v, char *spec)
{
	size_t n = strlen(spec);

	if (v->n == UK_LINUX_VOLUMES_MAX)
		die("too many volumes", NULL);
	if (n > 3 && !strcmp(spec + n - 3, ":ro"))
		spec[n - 3] = 0, v->readonly[v->n] = 1;
	v->spec[v->n++] = spec;
}

/* --mem MB, --kernel-fd N, --control-fd N (fds the runner passes for 3 and 4), --volume DIR[:ro]. */
static uint64_t parse_options(int *argc, char ***argv, struct volumes *v)
{
	uint64_t mb = 64;
	int from[2] = { -1, -1 };

	while (*argc >= 3 && !strncmp((*argv)[1], "--", 2)) {
		const char *opt = (*argv)[1], *val = (*argv)[2];
		if (!strcmp(opt, "--mem"))
			mb = number(opt, val, 4, 65536);
		else if (!strcmp(opt, "--volume"))
			add_volume(v, (*argv)[2]);
		else if (!strcmp(opt, "--kernel-fd") || !strcmp(opt, "--control-fd"))
			from[opt[2] == 'c'] = (int)number(opt, val, 0, 1 << 20);
		else
			die("unknown option", opt);
		*argc -= 2, *argv += 2;
	}
	move_fds(from);
	return mb;
}

int main(int argc, char **argv)
{
	static struct image im;
	static struct uk_spt_boot boot;
	static struct volumes vols;
	uint64_t mb = parse_options(&argc, &argv, &vols), ram_end = mb << 20;

	if (argc != 3)
		die("usage: unicore-spt [--mem MB] [--volume DIR[:ro]]... IMAGE CMDLINE", NULL);
	setup_fds();
	open_volumes(&vols);
	read_image(argv[1], &im);
	map_ram(ram_end);
	load_image(&im, ram_end);
	boot = (struct uk_spt_boot){ UK_SPT_BOOT_MAGIC, 1, UK_SPT_RAM_BASE, ram_end - UK_SPT_RAM_BASE,
				     (uint64_t)argv[2], tsc_hz(), clock_ns(CLOCK_REALTIME), clock_ns(CLOCK_MONOTONIC) };
	uint64_t entry = im.eh->e_entry;
	munmap(im.data, im.len);
	install_handlers(&im.note);
	sandbox(&im.note, &vols);
	__asm__ volatile("mov %0, %%rdi\n\tjmp *%1" : : "r"(&boot), "r"(entry) : "rdi", "memory");
	__builtin_unreachable();
}
