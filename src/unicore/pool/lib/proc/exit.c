/* The end of processes (proc): exit and exit_group, a fatal signal from another process, zombies
 * and wait4/waitid. The first process's end is the unikernel's (its status to the host); the
 * processes still running then are ended with it (said with --debug). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/sched.h>
#include <uk/vfs.h>
#include <uk/posix-signal.h>
#include "proc_priv.h"

#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WNOWAIT 0x01000000
#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define SIGCHLD 17

UK_OPTIONAL(uk_posix_signal_send_saved);

static int host_status(int wstatus) { return (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff; }

static _Noreturn void end_unikernel(int wstatus)
{
	int others = 0;

	for (struct proc *p = uk_proc_all; p; p = p->all_next)
		if (p != &uk_proc_first && p->state == PROC_LIVE) {
			if (uk_core_boot.debug)
				uk_core_printk("unicore: the first process ended: process %d (%s) is killed with it\n", p->pid, p->name);
			others++;
		}
	if (uk_core_boot.debug)
		uk_core_printk("unicore: first process exited with status %d (%d other processes killed, %lu pages still shared)\n",
			       host_status(wstatus), others, (unsigned long)uk_proc_pages_shared());
	uk_core_exit(host_status(wstatus));
}

static void reparent_children(struct proc *p)
{
	while (p->children) {
		struct proc *c = p->children;
		p->children = c->sibling;
		c->parent = &uk_proc_first;
		c->sibling = uk_proc_first.children;
		uk_proc_first.children = c;
		if (c->state == PROC_ZOMBIE)
			uk_core_waitq_wake_all(&uk_proc_first.child_wait);
	}
}

static void vfork_release(struct proc *p)
{
	if (p->vfork_parent && !p->vfork_done) {
		p->vfork_done = true;
		uk_core_waitq_wake_all(&p->vfork_wait);
	}
}

/* A process that tried to run a program the image lacks and then ended as a shell does when a
 * command is not found: one line on stderr naming it (the analysis never saw it run). */
static void say_missing(const char *path)
{
	static const char what[] = "program not in the image: ";
	char line[sizeof(what) + sizeof(((struct proc *)0)->missing) + 1];
	size_t n = sizeof(what) - 1, len = strlen(path);

	memcpy(line, what, n);
	memcpy(line + n, path, len);
	line[n + len] = '\n';
	uk_plat_console_write(2, line, n + len + 1);
}

/* The last thread of p leaves: its resources go, it becomes a zombie for its parent. */
static void become_zombie(struct proc *p, int wstatus)
{
	uk_proc_save(p);
	vfork_release(p);
	if (p->missing[0] && host_status(wstatus) == 127)
		say_missing(p->missing);
	uk_arch_pt_switch(uk_arch_pt_boot());
	uk_proc_mm_put(p->mm);
	uk_vfs_files_release(p->files);
	p->mm = NULL;
	p->files = NULL;
	p->state = PROC_ZOMBIE;
	p->wstatus = wstatus;
	reparent_children(p);
	if (uk_core_boot.debug)
		uk_core_printk("unicore: process %d (%s) exited with status %d, %lu KiB RAM in use\n", p->pid, p->name,
			       host_status(wstatus), (unsigned long)((uk_core_pages.npages - uk_core_pages.nfree) * 4));
	uk_core_waitq_wake_all(&p->parent->child_wait);
	if (p->exit_signal) /* SIGCHLD, as si_code CLD_KILLED or CLD_EXITED */
		uk_proc_signal(p->parent, p->exit_signal, (wstatus & 0x7f) ? 2 : 1, p->pid,
			       (wstatus & 0x7f) ? (wstatus & 0x7f) : (wstatus >> 8) & 0xff);
}

static _Noreturn void thread_leave(struct proc *p, int wstatus)
{
	if (p == &uk_proc_first && (p->nthreads == 1 || p->exiting))
		end_unikernel(wstatus);
	if (--p->nthreads == 0) {
		uk_sched_current->clear_tid = NULL; /* its memory is gone */
		become_zombie(p, wstatus);
	}
	uk_sched_thread_exit(host_status(wstatus));
}

/* Every other thread of p leaves on its way back to the program; blocked ones are woken. */
static void stop_threads(struct proc *p, int wstatus)
{
	p->exiting = true;
	p->wstatus = wstatus;
	for (struct uk_thread *t = uk_sched_threads; t; t = t->all_next)
		if (t->proc == p && t != uk_sched_current && t->state != UK_THREAD_DEAD) {
			t->killed = true;
			uk_sched_wake(t, UK_WAKE_SIGNAL);
		}
}

_Noreturn void uk_proc_end(int wstatus)
{
	struct proc *p = uk_proc_cur();

	if (p == &uk_proc_first)
		end_unikernel(wstatus);
	stop_threads(p, wstatus);
	thread_leave(p, wstatus);
}

_Noreturn void uk_proc_exit(int code) { uk_proc_end((code & 0xff) << 8); }
_Noreturn void uk_proc_killed(int sig) { uk_proc_end(sig & 0x7f); }

_Noreturn void uk_proc_exit_thread(int code)
{
	struct proc *p = uk_proc_cur();

	thread_leave(p, p->exiting ? p->wstatus : (code & 0xff) << 8);
}

void uk_proc_return_hook(void)
{
	struct proc *p = uk_proc_cur();

	thread_leave(p, p->wstatus);
}

/* Without posix-signal nothing catches a signal: the default action of each (terminate; nothing
 * for those ignored by default and for the job-control ones, stops not being modelled). */
static bool harmless(int sig) { return sig == 17 || sig == 23 || sig == 28 || (sig >= 18 && sig <= 22); }

void uk_proc_signal(struct proc *p, int sig, int code, int from, int status)
{
	struct uk_thread *threads[64];
	int n = 0;

	if (p->state != PROC_LIVE)
		return;
	if (!uk_posix_signal_send_saved) {
		if (!harmless(sig) && !p->exiting)
			stop_threads(p, sig);
		return;
	}
	for (struct uk_thread *t = uk_sched_threads; t && n < 64; t = t->all_next)
		if (t->proc == p && t->state != UK_THREAD_DEAD)
			threads[n++] = t;
	struct uk_posix_signal_info info = { .signo = sig, .code = code };
	info.u.child.pid = from;
	info.u.child.status = status;
	uk_posix_signal_send_saved(p->sig, threads, n, sig, &info);
}

/* ---- wait4, waitid ---- */

static bool matches(const struct proc *c, int idtype, long id)
{
	return idtype == P_ALL || (idtype == P_PID && c->pid == id) || (idtype == P_PGID && c->pgid == id);
}

static void reap(struct proc *self, struct proc *c)
{
	for (struct proc **pp = &self->children; *pp; pp = &(*pp)->sibling)
		if (*pp == c) {
			*pp = c->sibling;
			break;
		}
	for (struct proc **pp = &uk_proc_all; *pp; pp = &(*pp)->all_next)
		if (*pp == c) {
			*pp = c->all_next;
			break;
		}
	uk_core_free(c->sig);
	uk_core_free(c->limits);
	uk_core_free(c);
}

/* A zombie child matching (idtype, id): its pid and status, reaped unless WNOWAIT; 0 with
 * WNOHANG when none has ended yet; -ECHILD with no such child. */
static long wait_child(int idtype, long id, int options, int *wstatus)
{
	struct proc *self = uk_proc_cur();

	for (;;) {
		bool any = false;
		for (struct proc *c = self->children; c; c = c->sibling) {
			if (!matches(c, idtype, id))
				continue;
			any = true;
			if (c->state != PROC_ZOMBIE)
				continue;
			long pid = c->pid;
			*wstatus = c->wstatus;
			if (!(options & WNOWAIT))
				reap(self, c);
			return pid;
		}
		if (!any)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (uk_core_waitq_sleep(&self->child_wait, 0, "a child process (wait)") == -EINTR)
			return -EINTR;
	}
}

UK_SYSCALL(wait4)
{
	long pid = (int)a0; /* pid_t: the register's upper half is not the caller's */
	int ws = 0, idtype = pid < -1 ? P_PGID : pid == -1 ? P_ALL : pid == 0 ? P_PGID : P_PID;
	long id = pid < -1 ? -pid : pid == 0 ? uk_proc_cur()->pgid : pid;

	if (a2 & ~(long)(WNOHANG | WUNTRACED | 8 /* WCONTINUED */ | 0x80000000 /* __WALL */ | 0x40000000))
		return -EINVAL;
	long r = wait_child(idtype, id, (int)a2 & WNOHANG, &ws);
	if (r > 0 && a1)
		*(int *)a1 = ws;
	if (r >= 0 && a3)
		memset((void *)a3, 0, 144); /* struct rusage: not measured per process */
	return r;
}

struct siginfo_chld {
	int signo, errnum, code, pad;
	int pid, uid, status;
	char rest[128 - 28];
};

UK_SYSCALL(waitid)
{
	struct siginfo_chld *si = (void *)a2;
	int ws = 0;

	if ((a0 != P_ALL && a0 != P_PID && a0 != P_PGID) || !(a3 & WEXITED))
		return -EINVAL;
	long r = wait_child((int)a0, (int)a1, (int)a3, &ws);
	if (r < 0)
		return r;
	if (si) {
		memset(si, 0, sizeof(*si));
		if (r > 0) {
			*si = (struct siginfo_chld){ .signo = SIGCHLD, .pid = (int)r };
			si->code = (ws & 0x7f) ? 2 /* CLD_KILLED */ : 1 /* CLD_EXITED */;
			si->status = (ws & 0x7f) ? (ws & 0x7f) : (ws >> 8) & 0xff;
		}
	}
	if (a4)
		memset((void *)a4, 0, 144);
	return 0;
}
