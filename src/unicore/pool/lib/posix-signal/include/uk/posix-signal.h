/* uk/posix-signal.h: signals of the one process (posix-signal): actions, per-thread masks and
 * pending sets, delivery on the way back to the program (uk_core_return_to_program) and for
 * CPU faults, default actions, interval and POSIX timers. Other libraries send signals with
 * uk_posix_signal_send and ask whether a wait must end (uk_posix_signal_interrupts). */
#ifndef UK_POSIX_SIGNAL_H
#define UK_POSIX_SIGNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <uk/arch.h>
#include <uk/wait.h>

#define UK_SIGHUP 1
#define UK_SIGINT 2
#define UK_SIGQUIT 3
#define UK_SIGILL 4
#define UK_SIGTRAP 5
#define UK_SIGABRT 6
#define UK_SIGBUS 7
#define UK_SIGFPE 8
#define UK_SIGKILL 9
#define UK_SIGUSR1 10
#define UK_SIGSEGV 11
#define UK_SIGUSR2 12
#define UK_SIGPIPE 13
#define UK_SIGALRM 14
#define UK_SIGTERM 15
#define UK_SIGCHLD 17
#define UK_SIGCONT 18
#define UK_SIGSTOP 19
#define UK_SIGNALS 64

/* si_code values */
#define UK_SI_USER 0
#define UK_SI_KERNEL 0x80
#define UK_SI_QUEUE (-1)
#define UK_SI_TIMER (-2)
#define UK_SI_TKILL (-6)

/* Linux's siginfo_t (x86_64 and arm64 alike): 128 bytes, the union at offset 16. */
struct uk_posix_signal_info {
	int32_t signo, errno_, code, pad;
	union {
		struct { int32_t pid; uint32_t uid; uint64_t value; } kill;     /* SI_USER, SI_QUEUE, SI_TKILL */
		struct { int32_t tid, overrun; uint64_t value; } timer;          /* SI_TIMER */
		struct { int32_t pid; uint32_t uid; int32_t status, pad; int64_t utime, stime; } child; /* SIGCHLD */
		struct { uint64_t addr; } fault;                                 /* SIGSEGV, SIGBUS, SIGILL, SIGFPE */
		uint8_t bytes[112];
	} u;
};
_Static_assert(sizeof(struct uk_posix_signal_info) == 128, "Linux's siginfo_t");

/* Send signo to thread tid of process pid (tid 0: to the process, any thread not blocking it
 * takes it; UK_POSIX_SIGNAL_SELF: the running thread). info may be NULL: SI_KERNEL then. Signals ignored by their action are dropped
 * at once; a thread blocked in a syscall on a wait is woken with UK_WAKE_SIGNAL (EINTR, or the
 * syscall restarts for SA_RESTART). 0, -EINVAL (signo), -ESRCH (no such process or thread).
 * The entry point for SIGCHLD and kill between processes. */
#define UK_POSIX_SIGNAL_SELF (-1)
int uk_posix_signal_send(int pid, int tid, int signo, const struct uk_posix_signal_info *info);

/* True when the running thread has a signal pending that it does not block: a wait must end. */
bool uk_posix_signal_interrupts(void);
/* signalfd: the signals of `set` pending for the running thread (its own and the process's);
 * take the lowest of them (false: none); a queue woken whenever a signal is sent. */
uint64_t uk_posix_signal_pending_of(uint64_t set);
bool uk_posix_signal_dequeue(uint64_t set, struct uk_posix_signal_info *out);
struct uk_waitq *uk_posix_signal_sent_queue(void);

/* The running syscall's EINTR is final even for SA_RESTART (sleeps, poll, select, epoll_wait:
 * those Linux never restarts). */
void uk_posix_signal_no_restart(void);
/* ppoll/pselect6/epoll_pwait: run this syscall with `mask` as the signal mask; the old one is
 * back when it returns to the program (after the handler of what interrupted it). */
void uk_posix_signal_mask_during(uint64_t mask);

/* core's hooks */
void uk_posix_signal_return_hook(struct uk_regs *r);                       /* deliver pending */
int uk_posix_signal_fault(struct uk_regs *r, const struct uk_arch_fault *f); /* 1: a handler runs */

/* sched's hooks: a new thread (clone inherits the mask), a thread's end. */
struct uk_thread;
void uk_posix_signal_thread_start(struct uk_thread *child, struct uk_thread *parent);
void uk_posix_signal_thread_end(struct uk_thread *t);
/* Processes (lib/proc): the process-wide state (actions, pending) to save and restore per
 * process, what execve resets, and a signal for a process that is not running (its saved state,
 * its live threads). */
void *uk_posix_signal_state(unsigned long *size);
void uk_posix_signal_exec(void);
void uk_posix_signal_send_saved(void *saved, struct uk_thread *const *threads, int n, int sig,
				const struct uk_posix_signal_info *info);
#endif
