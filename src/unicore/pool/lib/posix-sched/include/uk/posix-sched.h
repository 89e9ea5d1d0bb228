/* uk/posix-sched.h: scheduling constants of the unikernel (one CPU, one process, pid 1). */
#ifndef UK_POSIX_SCHED_H
#define UK_POSIX_SCHED_H
#define UK_SCHED_OTHER 0
#define UK_SCHED_NCPUS 1
#endif
