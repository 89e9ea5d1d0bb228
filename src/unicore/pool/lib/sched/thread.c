/* Threads (sched): the main thread (the program's first, on the boot kernel stack), clone
 * with the flags pthread_create uses, thread exit with CLONE_CHILD_CLEARTID and its futex
 * wake (pthread_join waits on it), and the syscalls naming threads. Every thread has a kernel
 * stack of its own, with an unmapped guard page below it and its FPU state area. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/sched.h>
#include <uk/futex.h>
#include <uk/proc.h>
#include <uk/posix-signal.h>

UK_OPTIONAL(uk_proc_clone); /* fork, vfork and clone without CLONE_VM|CLONE_THREAD: processes */
UK_OPTIONAL(uk_proc_thread_added); /* its process counts its threads */
UK_OPTIONAL(uk_posix_signal_thread_start);
UK_OPTIONAL(uk_posix_signal_thread_end);

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_DETACHED 0x400000
#define CLONE_CHILD_SETTID 0x1000000
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define KNOWN_FLAGS (THREAD_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
		     CLONE_DETACHED | CLONE_CHILD_SETTID | 0xff)

static struct uk_thread main_thread = { .tid = 1, .state = UK_THREAD_RUNNING };
struct uk_thread *uk_sched_current = &main_thread;
struct uk_thread *uk_sched_threads = &main_thread;
static int live = 1, next_tid = 2;

int uk_sched_live_threads(void) { return live; }

struct uk_thread *uk_sched_find(int tid)
{
	for (struct uk_thread *t = uk_sched_threads; t; t = t->all_next)
		if (t->tid == tid && t->state != UK_THREAD_DEAD)
			return t;
	return NULL;
}

static size_t fpu_pages(void) { return UK_ALIGN_UP(uk_arch_fpu_size(), UK_PAGE_SIZE) / UK_PAGE_SIZE; }

/* The main thread runs on the boot kernel stack; its FPU area comes from the allocator. */
static void main_thread_init(void)
{
	void *fpu = uk_core_page_alloc(fpu_pages());

	if (!fpu)
		uk_core_panic("out of memory: no room for the main thread's FPU state: boot with more memory (-m)");
	main_thread.arch = (struct uk_arch_thread){ .kstack_top = (uint64_t)uk_arch_boot_kstack_top, .fpu = fpu };
}
UK_INIT(main_thread_init, 5);

static struct uk_thread *spare; /* dead threads, kept with their stacks for the next clone */

static struct uk_thread *thread_alloc(void)
{
	size_t stack_pages = UK_SCHED_KSTACK_KB / 4, n = 1 + fpu_pages() + stack_pages;
	struct uk_thread *t = spare;

	if (t) {
		spare = t->all_next;
		return t;
	}
	t = uk_core_zalloc(sizeof(*t));
	char *pages = t ? uk_core_page_alloc(n) : NULL;
	if (!pages) {
		uk_core_free(t);
		return NULL;
	}
	uk_arch_page_unmap((uintptr_t)pages); /* a kernel stack overflow faults */
	t->kstack = pages;
	t->kstack_pages = n;
	return t;
}

long uk_sched_thread_create(const struct uk_regs *regs, uint64_t tls, struct uk_thread **out)
{
	struct uk_thread *t = thread_alloc();

	if (!t)
		return -ENOMEM;
	char *pages = t->kstack;
	size_t n = t->kstack_pages;
	*t = (struct uk_thread){ .kstack = pages, .kstack_pages = n, .tid = next_tid++, .proc = uk_sched_current->proc };
	uk_arch_thread_init(&t->arch, (uint64_t)(pages + n * UK_PAGE_SIZE), pages + UK_PAGE_SIZE, regs);
	t->arch.tls = tls;
	t->all_next = uk_sched_threads;
	uk_sched_threads = t;
	live++;
	*out = t;
	return t->tid;
}

/* Dead threads other than the running one (whose stack is in use) become spares. */
void uk_sched_reap(void)
{
	for (struct uk_thread **p = &uk_sched_threads; *p;) {
		struct uk_thread *t = *p;
		if (t->state != UK_THREAD_DEAD || t == uk_sched_current) {
			p = &t->all_next;
			continue;
		}
		*p = t->all_next;
		if (t->kstack) { /* not the main thread, which runs on the boot stack */
			t->all_next = spare;
			spare = t;
		}
	}
}



_Noreturn void uk_sched_thread_exit(int status)
{
	struct uk_thread *t = uk_sched_current;

	if (live == 1)
		uk_core_exit(status);
	if (t->clear_tid) {
		*t->clear_tid = 0;
		uk_futex_wake((uint32_t *)t->clear_tid, 1, ~0u);
	}
	live--;
	if (uk_posix_signal_thread_end)
		uk_posix_signal_thread_end(t);
	uk_sched_leave();
}

static long clone_thread(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls)
{
	struct uk_regs regs = *uk_arch_syscall_regs();
	struct uk_thread *t;

	uk_arch_regs_set_return(&regs, 0); /* the child's clone returns 0 */
	if (newsp)
		uk_arch_regs_set_sp(&regs, newsp);
	long tid = uk_sched_thread_create(&regs, (flags & CLONE_SETTLS) ? tls : uk_arch_get_tls(), &t);
	if (tid < 0)
		return tid;
	if (flags & CLONE_PARENT_SETTID)
		*ptid = (int)tid;
	if (flags & CLONE_CHILD_SETTID)
		*ctid = (int)tid;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_tid = ctid;
	if (uk_proc_thread_added)
		uk_proc_thread_added(t->proc);
	if (uk_posix_signal_thread_start) /* the child inherits the signal mask */
		uk_posix_signal_thread_start(t, uk_sched_current);
	uk_sched_enqueue(t);
	return tid;
}

/* Threads here; a clone that makes a process (no CLONE_THREAD, or CLONE_VFORK) is the proc
 * library's, and without it gets ENOSYS, as if the kernel lacked it (glibc's posix_spawn and
 * system() then report failure). */
UK_SYSCALL(clone)
{
	unsigned long flags = (unsigned long)a0;

	if ((flags & THREAD_FLAGS) != THREAD_FLAGS || (flags & CLONE_VFORK))
		return uk_proc_clone ? uk_proc_clone(flags, (uint64_t)a1, (int *)a2, (int *)a3, (uint64_t)a4) : -ENOSYS;
	if (flags & ~(unsigned long)KNOWN_FLAGS)
		return -EINVAL;
	return clone_thread(flags, (uint64_t)a1, (int *)a2, (int *)a3, (uint64_t)a4);
}

/* Hooks of posix-process's thread syscalls (weak there). */
long uk_sched_gettid(void) { return uk_sched_current->tid; }

long uk_sched_set_tid_address(int *tidptr)
{
	uk_sched_current->clear_tid = tidptr;
	return uk_sched_current->tid;
}
