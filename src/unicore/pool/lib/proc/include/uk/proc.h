/* uk/proc.h: processes (proc): fork/vfork/clone without CLONE_VM, execve, wait4/waitid, process
 * groups and sessions, kill to other processes. Each process has its own address space (its own
 * page-table root: private mappings copy-on-write after fork, MAP_SHARED ones shared, the kernel
 * the same in all), fd table and cwd (vfs), signal dispositions (posix-process) and limits
 * (posix-rlimit); a switch between threads of two processes swaps them (uk_proc_switch).
 *
 * Other libraries call in through UK_OPTIONAL references, so an image without processes keeps
 * none of this: posix-process (identity, exit), posix-signal (kill, fatal signals), posix-procinfo
 * (groups, sessions), sched (clone, thread switch, return to the program), posix-mm
 * (copy-on-write faults, shared pages) and futex (keys per address space). */
#ifndef UK_PROC_H
#define UK_PROC_H
#include <stdbool.h>
#include <stdint.h>

struct uk_memory_space;

/* posix-process */
long uk_proc_getpid(void);
long uk_proc_getppid(void);
_Noreturn void uk_proc_exit(int code);          /* exit_group: the whole process */
_Noreturn void uk_proc_exit_thread(int code);    /* exit: one thread, the process with its last */
_Noreturn void uk_proc_killed(int sig);          /* default action of a fatal signal to itself */
/* kill(2) to pid > 0, 0 (own group), -1 (all), < -1 (a group): the others get it here; 1 when
 * the caller is among the targets (posix-signal then sends it to itself), 0, or -ESRCH. */
long uk_proc_kill(long pid, int sig);
/* posix-procinfo: process groups and sessions */
long uk_proc_setpgid(long pid, long pgid);
long uk_proc_getpgid(long pid);                  /* 0: the caller's */
long uk_proc_getsid(long pid);
long uk_proc_setsid(void);

/* sched */
long uk_proc_clone(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls);
void uk_proc_switch(void *from_proc, void *to_proc);
void uk_proc_return_hook(void);                  /* a killed process's thread ends here */
void uk_proc_thread_added(void *proc);           /* clone made a thread of it (CLONE_THREAD) */

/* futex: the running process's address space, a small number (its futexes are its own) */
unsigned uk_proc_space_id(void);

/* posix-mm: pages shared between address spaces after fork */
int uk_proc_cow_fault(struct uk_memory_space *s, uintptr_t va); /* 1 done, 0 out of memory */
int uk_proc_page_shared(uintptr_t pa);           /* more than one address space maps pa */
void uk_proc_page_put(uintptr_t pa);             /* one sharer fewer; freed by the last */

/* exec: a fixed-address object's range [lo, hi), whose RAM another process has, backed with fresh
 * pages at those addresses in the running process's own space (that RAM held while it lives):
 * 0, or -1 (the boot space, RAM the kernel uses there, out of memory) */
int uk_proc_exec_fixed(uintptr_t lo, uintptr_t hi);

#endif
