/* uk/posix-process.h: process identity constants shared by the process syscalls. */
#ifndef UK_POSIX_PROCESS_H
#define UK_POSIX_PROCESS_H
#define UK_PID 1  /* the one process */
#define UK_NSIG 64
/* For processes (lib/proc): the signal state to save and restore per process, what execve
 * resets, what a signal does to a process with a given saved state (0 nothing, 1 terminate,
 * 2 its handler), and a signal to the running process itself. */
void *uk_posix_process_sigstate(unsigned long *size);
void uk_posix_process_sig_exec(void);
int uk_posix_process_sig_effect(const void *saved, int sig);
long uk_posix_process_signal_self(int sig);
/* A signal another process sends to one whose handler catches it (saved state): it runs at that
 * process's next rt_sigsuspend, whose threads wait with this as their reason. */
void uk_posix_process_sig_post(void *saved, int sig);
extern const char uk_posix_process_sigsuspend_what[];
#endif
