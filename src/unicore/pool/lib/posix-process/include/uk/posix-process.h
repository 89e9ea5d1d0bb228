/* uk/posix-process.h: process identity constants shared by the process syscalls. */
#ifndef UK_POSIX_PROCESS_H
#define UK_POSIX_PROCESS_H
#define UK_PID 1  /* the one process */
#define UK_NSIG 64
#endif
