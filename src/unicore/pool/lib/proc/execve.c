/* execve (proc): replace the running process's program with a file of the root file system:
 * static, dynamic (its PT_INTERP loader), or a `#!` script (its interpreter runs it). The new
 * program gets a fresh address space (the old one goes, or stays the vfork parent's), the fds
 * without close-on-exec, signal dispositions reset, and a Linux initial stack. Errors the shell
 * reports itself (no such file, not executable) come back before anything is lost. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/sched.h>
#include <uk/vfs.h>
#include <uk/exec.h>
#include <uk/posix-signal.h>
#include "proc_priv.h"

UK_OPTIONAL(uk_posix_signal_exec);

#define ARGS_MAX (256 * 1024) /* bytes of argv and envp strings, as Linux's default ARG_MAX/8 */
#define SCRIPT_DEPTH 4

UK_SYSCALL_DECL(read);
UK_SYSCALL_DECL(close);

/* argv and envp copied out of the old program's memory. */
struct args {
	char *v[UK_MAX_ARGS + 1];
	int n;
	size_t bytes;
};

static int push(struct args *a, const char *s)
{
	size_t len = strlen(s) + 1;
	char *c;

	if (a->n >= UK_MAX_ARGS || (a->bytes += len) > ARGS_MAX)
		return -E2BIG;
	if (!(c = uk_core_malloc(len)))
		return -ENOMEM;
	memcpy(c, s, len);
	a->v[a->n++] = c;
	a->v[a->n] = NULL;
	return 0;
}

static void args_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		uk_core_free(a->v[i]);
	a->n = 0;
}

static long copy_vector(struct args *a, char *const *v)
{
	long err = 0;

	for (int i = 0; v && v[i] && !err; i++)
		err = push(a, v[i]);
	return err;
}

/* The first bytes of the file, or a negative errno. */
static long head_of(const char *path, char *buf, size_t len)
{
	long fd = uk_vfs_kopen(path, 0, 0);

	if (fd < 0)
		return fd;
	long n = uk_sys_read(fd, (long)buf, (long)len - 1, 0, 0, 0);
	uk_sys_close(fd, 0, 0, 0, 0, 0);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* "#!interp [arg]": argv becomes interp [arg] path argv[1..]. */
static long script_args(struct args *a, char *line, const char *path)
{
	char *p = line + 2, *interp, *arg = NULL;
	struct args n = { 0 };
	long err;

	for (char *e = p; *e; e++)
		if (*e == '\n') {
			*e = 0;
			break;
		}
	while (*p == ' ' || *p == '\t')
		p++;
	interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		char *end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = 0;
		arg = *p ? p : NULL;
	}
	if (!interp[0])
		return -ENOEXEC;
	if ((err = push(&n, interp)) || (arg && (err = push(&n, arg))) || (err = push(&n, path)))
		goto out;
	for (int i = 1; i < a->n && !err; i++)
		err = push(&n, a->v[i]);
out:
	args_free(a);
	*a = n;
	return err;
}

/* Follow `#!` lines to an ELF file: its path in a->v[0]'s place (path), or a negative errno. */
static long resolve(struct args *a, char *path, size_t plen)
{
	char head[256];

	for (int depth = 0; depth <= SCRIPT_DEPTH; depth++) {
		long n = head_of(path, head, sizeof(head));
		if (n < 0) {
			if (n == -ENOENT && depth == 0)
				uk_core_strncpy_z(uk_proc_cur()->missing, path, sizeof(uk_proc_cur()->missing));
			return n;
		}
		if (n >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F')
			return 0;
		if (n < 2 || head[0] != '#' || head[1] != '!')
			return -ENOEXEC;
		long err = script_args(a, head, path);
		if (err)
			return err;
		uk_core_strncpy_z(path, a->v[0], plen);
	}
	return -ELOOP;
}

struct loaded {
	struct uk_exec_image prog, interp;
	bool has_interp;
};

static _Noreturn void fail_late(const char *path, const char *what, int status)
{
	uk_core_printk("unicore: exec %s: %s\n", path, what);
	uk_proc_exit(status);
}

/* An object on pages of this space's own (uk_exec_image.own_pages) is a demand mapping: the list
 * owns those pages, as it owns fork's copies. */
static void record(const struct uk_exec_image *o, const char *name)
{
	int flags = o->own_pages ? UK_MEMORY_DEMAND : 0;

	uk_memory_record(o->l.lo, o->l.hi, UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC, flags, name);
}

static void load(const char *path, struct loaded *l)
{
	char interp[256], nested[8];
	int status;
	const char *err = uk_exec_load_path(path, 1, &l->prog, interp, sizeof(interp), &status);

	if (err)
		fail_late(path, err, status);
	record(&l->prog, path);
	if (!interp[0])
		return;
	if ((err = uk_exec_load_path(interp, 0, &l->interp, nested, sizeof(nested), &status)))
		fail_late(interp, err, status);
	record(&l->interp, "ld.so");
	l->has_interp = true;
}

static uintptr_t stack(const char *path, const struct loaded *l, struct args *argv, struct args *envp)
{
	size_t npages = UK_PROCESS_STACK_KB / 4;
	char *lo = uk_core_page_alloc(npages);
	uint8_t random[16];
	uint64_t auxv[UK_EXEC_AUXV_WORDS];

	if (!lo)
		fail_late(path, "no room for its stack: boot with more memory (-m)", 126);
	uk_memory_record((uintptr_t)lo, (uintptr_t)lo + npages * UK_PAGE_SIZE, UK_PROT_READ | UK_PROT_WRITE, UK_MEMORY_STACK, NULL);
	uk_core_random_fill(random, sizeof(random));
	uk_exec_auxv(auxv, &l->prog.l, l->has_interp ? l->interp.bias : 0);
	uintptr_t sp = uk_process_stack_build(lo, npages * UK_PAGE_SIZE, argv->n, argv->v, envp->v, auxv, random, UK_ARCH_NAME);
	if (!sp)
		fail_late(path, "its arguments and environment do not fit its stack", 126);
	return sp;
}

/* Past the point of no return: the old program goes before the new one is loaded (argv and envp
 * are copies), so that its RAM is free for it: a program exec'ing itself takes the same pages. */
static void replace(struct proc *p, const char *path, struct args *argv, struct args *envp, struct uk_regs *r)
{
	struct uk_memory_space *old = p->mm, *s = uk_proc_mm_new();
	struct loaded l = { 0 };

	if (!s)
		fail_late(path, "no room for a new address space: boot with more memory (-m)", 126);
	uk_proc_save(p);
	*old = uk_memory_current;
	p->mm = s;
	uk_memory_current = *s;
	uk_arch_pt_switch(s->root);
	uk_proc_mm_put(old);
	load(path, &l);
	uintptr_t sp = stack(path, &l, argv, envp);
	uk_process_self = (struct uk_process){ .brk_start = l.prog.l.hi, .entry = l.prog.l.entry };
	uk_vfs_files_exec();
	if (uk_posix_signal_exec)
		uk_posix_signal_exec();
	uk_arch_regs_exec(r, l.has_interp ? l.interp.l.entry : l.prog.l.entry, sp);
	uk_arch_set_tls(0);
}

static void name_from(struct proc *p, const char *path)
{
	const char *base = path;

	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	uk_core_strncpy_z(p->name, base, sizeof(p->name));
}

UK_SYSCALL(execve)
{
	struct proc *p = uk_proc_cur();
	static struct args argv, envp; /* one execve at a time: the kernel does not switch here */
	char path[256];
	long err;

	if (!a0)
		return -EFAULT;
	if (strlen((const char *)a0) >= sizeof(path))
		return -ENAMETOOLONG;
	uk_core_strncpy_z(path, (const char *)a0, sizeof(path));
	if (!(err = copy_vector(&argv, (char *const *)a1)) && !(err = copy_vector(&envp, (char *const *)a2)))
		err = resolve(&argv, path, sizeof(path));
	if (!err && argv.n == 0)
		err = push(&argv, path);
	if (!err) {
		p->missing[0] = 0;
		name_from(p, argv.v[0]);
		replace(p, path, &argv, &envp, uk_arch_syscall_regs());
		if (p->vfork_parent && !p->vfork_done) {
			p->vfork_done = true;
			uk_core_waitq_wake_all(&p->vfork_wait);
		}
	}
	args_free(&argv);
	args_free(&envp);
	return err;
}
