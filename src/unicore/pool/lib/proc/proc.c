/* Processes (proc): the process table, the switch between two processes' state (address space,
 * fd table, signal dispositions, limits), and fork/vfork/clone. A process is the program's own
 * child in the one kernel: its first thread's tid is its pid, the first process is pid 1. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/sched.h>
#include <uk/vfs.h>
#include <uk/posix-process.h>
#include <uk/posix-rlimit.h>
#include <uk/posix-signal.h>
#include "proc_priv.h"

#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000
#define RLIMIT_NPROC 6
#define LIMITS_SIZE (UK_RLIM_NLIMITS * sizeof(struct uk_rlimit))

UK_OPTIONAL(uk_posix_rlimit_get);
UK_OPTIONAL(uk_posix_signal_state);
UK_OPTIONAL(uk_posix_signal_thread_start);

struct proc uk_proc_first = { .pid = 1, .pgid = 1, .sid = 1, .nthreads = 1 };
struct proc *uk_proc_all = &uk_proc_first;

static unsigned long sig_size = 1;
static char no_signals;
static void *sig_live = &no_signals; /* posix-signal's state of the running process */

struct proc *uk_proc_cur(void) { return uk_sched_current->proc; }

/* Its threads count: the process ends (zombie, or the unikernel for the first) with the last. */
void uk_proc_thread_added(void *proc)
{
	if (proc)
		((struct proc *)proc)->nthreads++;
}

int uk_proc_count(void)
{
	int n = 0;

	for (struct proc *p = uk_proc_all; p; p = p->all_next)
		n++;
	return n;
}

static void proc_init(void)
{
	if (uk_posix_signal_state)
		sig_live = uk_posix_signal_state(&sig_size);
	uk_proc_first.sig = uk_core_zalloc(sig_size);
	uk_proc_first.limits = uk_core_zalloc(LIMITS_SIZE);
	struct proc_mm *mm = uk_core_zalloc(sizeof(*mm));
	if (mm) {
		mm->users = 1;
		uk_proc_first.mm = &mm->s;
	}
	if (!uk_proc_first.sig || !uk_proc_first.limits || !mm)
		uk_core_panic("out of memory: no room for the first process");
	uk_core_strncpy_z(uk_proc_first.name, uk_core_boot.argv[0] ? uk_core_boot.argv[0] : "", sizeof(uk_proc_first.name));
	uk_sched_current->proc = &uk_proc_first;
	if (uk_posix_rlimit_get) /* one user may have this many processes (Linux gives root thousands) */
		*uk_posix_rlimit_get(RLIMIT_NPROC) = (struct uk_rlimit){ UK_PROC_MAX, UK_PROC_MAX };
	uk_proc_pages_init();
}
UK_INIT(proc_init, 6);

/* The running process's live state into its record. */
void uk_proc_save(struct proc *p)
{
	*p->mm = uk_memory_current;
	p->self = uk_process_self;
	p->files = uk_vfs_files_current();
	memcpy(p->sig, sig_live, sig_size);
	if (uk_posix_rlimit_get)
		memcpy(p->limits, uk_posix_rlimit_get(0), LIMITS_SIZE);
}

static void load(struct proc *p)
{
	uk_memory_current = *p->mm;
	uk_process_self = p->self;
	uk_vfs_files_set(p->files);
	memcpy(sig_live, p->sig, sig_size);
	if (uk_posix_rlimit_get)
		memcpy(uk_posix_rlimit_get(0), p->limits, LIMITS_SIZE);
	uk_arch_pt_switch(uk_memory_current.root);
}

void uk_proc_switch(void *from, void *to)
{
	struct proc *a = from, *b = to;

	if (a && a->state == PROC_LIVE && a->nthreads)
		uk_proc_save(a);
	if (b)
		load(b);
}

/* ---- fork, vfork, clone without CLONE_VM|CLONE_THREAD ---- */

static struct proc *proc_copy(struct proc *parent, unsigned long flags)
{
	struct proc *c = uk_core_zalloc(sizeof(*c));

	if (!c || !(c->sig = uk_core_zalloc(sig_size)) || !(c->limits = uk_core_zalloc(LIMITS_SIZE)))
		goto fail;
	memcpy(c->sig, parent->sig, sig_size);
	memcpy(c->limits, parent->limits, LIMITS_SIZE);
	c->self = parent->self;
	c->mm = (flags & CLONE_VM) ? parent->mm : uk_proc_mm_fork(parent->mm);
	if (!c->mm)
		goto fail;
	((struct proc_mm *)c->mm)->users += (flags & CLONE_VM) ? 1 : 0;
	if (!(c->files = uk_vfs_files_fork())) {
		uk_proc_mm_put(c->mm);
		goto fail;
	}
	c->pgid = parent->pgid;
	c->sid = parent->sid;
	c->nthreads = 1;
	c->exit_signal = (int)(flags & 0xff);
	memcpy(c->name, parent->name, sizeof(c->name));
	return c;
fail:
	if (c) {
		uk_core_free(c->sig);
		uk_core_free(c->limits);
	}
	uk_core_free(c);
	return NULL;
}

static void link_child(struct proc *parent, struct proc *c)
{
	c->parent = parent;
	c->sibling = parent->children;
	parent->children = c;
	c->all_next = uk_proc_all;
	uk_proc_all = c;
}

static void proc_drop(struct proc *c)
{
	uk_vfs_files_release(c->files);
	uk_proc_mm_put(c->mm);
	uk_core_free(c->sig);
	uk_core_free(c->limits);
	uk_core_free(c);
}

static void vfork_wait(struct proc *c)
{
	c->vfork_parent = uk_proc_cur();
	while (!c->vfork_done)
		uk_core_waitq_sleep(&c->vfork_wait, 0, "a vfork child (execve or exit)");
}

/* RLIMIT_NPROC (the running process's), and the library's ceiling: live processes and zombies. */
static bool over_limit(void)
{
	uint64_t max = uk_posix_rlimit_get ? uk_posix_rlimit_get(RLIMIT_NPROC)->cur : UK_PROC_MAX;
	int n = uk_proc_count();

	return (uint64_t)n >= max || n >= UK_PROC_MAX;
}

/* The child's first thread: the parent's registers, clone returning 0, on newsp if given. */
static long first_thread(struct proc *c, unsigned long flags, uint64_t newsp, uint64_t tls, struct uk_thread **t)
{
	struct uk_regs regs = *uk_arch_syscall_regs();

	uk_arch_regs_set_return(&regs, 0);
	if (newsp)
		uk_arch_regs_set_sp(&regs, newsp);
	long tid = uk_sched_thread_create(&regs, (flags & CLONE_SETTLS) ? tls : uk_arch_get_tls(), t);
	if (tid < 0)
		return tid;
	c->pid = (int)tid;
	(*t)->proc = c;
	if (uk_posix_signal_thread_start) /* the child inherits the signal mask */
		uk_posix_signal_thread_start(*t, uk_sched_current);
	return tid;
}

static void debug_fork(const struct proc *c)
{
	if (uk_core_boot.debug)
		uk_core_printk("unicore: process %d (%s): fork of %d, %lu KiB RAM in use\n", c->pid, c->name,
			       c->parent->pid, (unsigned long)((uk_core_pages.npages - uk_core_pages.nfree) * 4));
}

long uk_proc_clone(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls)
{
	struct proc *parent = uk_proc_cur(), *c;
	struct uk_thread *t;

	if (flags & CLONE_THREAD)
		return -EINVAL; /* a thread needs CLONE_VM and CLONE_SIGHAND: sched's */
	if (over_limit())
		return -EAGAIN;
	uk_proc_save(parent);
	if (!(c = proc_copy(parent, flags)))
		return -ENOMEM;
	long tid = first_thread(c, flags, newsp, tls, &t);
	if (tid < 0)
		return proc_drop(c), tid;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_tid = ctid;
	if ((flags & CLONE_CHILD_SETTID) && ctid) /* glibc's fork: the child's tid in its own memory */
		uk_proc_mm_write32(c->mm, (uintptr_t)ctid, (uint32_t)tid);
	if (flags & CLONE_PARENT_SETTID)
		*ptid = (int)tid;
	link_child(parent, c);
	debug_fork(c);
	uk_sched_enqueue(t);
	if (flags & CLONE_VFORK)
		vfork_wait(c);
	return tid;
}

UK_SYSCALL(fork) { return uk_proc_clone(17 /* SIGCHLD */, 0, NULL, NULL, 0); }
UK_SYSCALL(vfork) { return uk_proc_clone(CLONE_VM | CLONE_VFORK | 17, 0, NULL, NULL, 0); }

/* ---- identity, groups and sessions ---- */

static struct proc *find(long pid)
{
	for (struct proc *p = uk_proc_all; p; p = p->all_next)
		if (p->pid == pid)
			return p;
	return NULL;
}

long uk_proc_getpid(void) { return uk_proc_cur()->pid; }
long uk_proc_getppid(void) { return uk_proc_cur()->parent ? uk_proc_cur()->parent->pid : 0; }

long uk_proc_setpgid(long pid, long pgid)
{
	struct proc *self = uk_proc_cur(), *p = pid ? find(pid) : self;

	if (pgid < 0)
		return -EINVAL;
	if (!p || (p != self && p->parent != self))
		return -ESRCH;
	if (p->sid != self->sid || p->pid == p->sid)
		return -EPERM;
	p->pgid = pgid ? (int)pgid : p->pid;
	return 0;
}

long uk_proc_getpgid(long pid)
{
	struct proc *p = pid ? find(pid) : uk_proc_cur();

	return p ? p->pgid : -ESRCH;
}

long uk_proc_getsid(long pid)
{
	struct proc *p = pid ? find(pid) : uk_proc_cur();

	return p ? p->sid : -ESRCH;
}

long uk_proc_setsid(void)
{
	struct proc *self = uk_proc_cur();

	for (struct proc *p = uk_proc_all; p; p = p->all_next)
		if (p->pgid == self->pid)
			return -EPERM; /* already a group leader */
	self->sid = self->pgid = self->pid;
	return self->sid;
}

/* ---- kill to other processes and groups ---- */

static bool targeted(const struct proc *p, long pid, const struct proc *self)
{
	if (p->state != PROC_LIVE)
		return pid > 0 && p->pid == pid; /* a zombie exists: no error, no effect */
	if (pid > 0)
		return p->pid == pid;
	if (pid == 0)
		return p->pgid == self->pgid;
	if (pid == -1)
		return p->pid != 1 && p != self;
	return p->pgid == -pid;
}

long uk_proc_kill(long pid, int sig)
{
	struct proc *self = uk_proc_cur();
	bool found = false, me = false;

	if (sig < 0 || sig > 64)
		return -EINVAL;
	for (struct proc *p = uk_proc_all; p; p = p->all_next) {
		if (!targeted(p, pid, self))
			continue;
		found = true;
		if (p == self)
			me = true;
		else if (sig && p->state == PROC_LIVE)
			uk_proc_signal(p, sig, 0 /* SI_USER */, self->pid, 0);
	}
	if (!found)
		return -ESRCH;
	return me && sig ? 1 : 0;
}
