/* proc internals shared by its source files. */
#ifndef UK_PROC_PRIV_H
#define UK_PROC_PRIV_H
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/wait.h>
#include <uk/process.h>
#include <uk/posix-mm.h>
#include <uk/proc.h>

enum { PROC_LIVE, PROC_ZOMBIE };

struct uk_vfs_files;

struct proc {
	int pid, pgid, sid;
	int state;
	int wstatus;                 /* wait status: exit code << 8, or the signal */
	int exit_signal;             /* sent to the parent at exit (SIGCHLD) */
	int nthreads;
	bool exiting;                /* exit_group or a fatal signal: its threads leave */
	struct proc *parent, *children, *sibling, *all_next;
	struct uk_memory_space *mm;  /* saved while switched out; a vfork child shares its parent's */
	struct uk_process self;      /* brk start, entry (lib/process) */
	struct uk_vfs_files *files;
	void *sig;                   /* posix-signal's process state, saved */
	void *limits;                /* posix-rlimit's table, saved */
	struct uk_waitq child_wait;  /* wait4 sleeps here; a child's exit wakes it */
	struct proc *vfork_parent;   /* waits until this vfork child execs or exits */
	struct uk_waitq vfork_wait;
	bool vfork_done;
	char name[32];               /* argv[0]'s last component, for --debug */
	char missing[96];            /* the last execve path not in the image */
};

/* An address space of a process: the mapping list (posix-mm) and the low ranges it keeps
 * reserved for as long as it lives (another process's identity pages it has copies of). */
struct proc_mm {
	struct uk_memory_space s;    /* first: a struct uk_memory_space * is a struct proc_mm * */
	int users;                   /* processes on it (a vfork child and its parent) */
	uint16_t id;                 /* futex keys (uk_proc_space_id); 0 for the first */
	struct hold { uintptr_t lo, hi; struct hold *next; } *holds;
};

extern struct proc uk_proc_first;
extern struct proc *uk_proc_all;
struct proc *uk_proc_cur(void);
void uk_proc_save(struct proc *p);
int uk_proc_count(void);

/* mm.c */
void uk_proc_pages_init(void);
struct uk_memory_space *uk_proc_mm_fork(struct uk_memory_space *s);   /* NULL: out of memory */
struct uk_memory_space *uk_proc_mm_new(void);
int uk_proc_mm_hold(struct proc_mm *m, uintptr_t lo, uintptr_t hi); /* RAM [lo, hi) kept while m lives */
void uk_proc_mm_put(struct uk_memory_space *s);  /* not the running one: the boot root is loaded */
size_t uk_proc_pages_shared(void);
void uk_proc_mm_write32(struct uk_memory_space *s, uintptr_t va, uint32_t v); /* not the running space */

/* exit.c */
_Noreturn void uk_proc_end(int wstatus);
/* A signal for another process (code: si_code; from: the sender's or the child's pid; status
 * for SIGCHLD). */
void uk_proc_signal(struct proc *p, int sig, int code, int from, int status);
#endif
