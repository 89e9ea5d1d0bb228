/* uk/posix-rlimit.h: resource limit numbers and the limit record (Linux x86_64 ABI). */
#ifndef UK_POSIX_RLIMIT_H
#define UK_POSIX_RLIMIT_H
#include <stdint.h>

#define UK_RLIMIT_CPU 0
#define UK_RLIMIT_FSIZE 1
#define UK_RLIMIT_DATA 2
#define UK_RLIMIT_STACK 3
#define UK_RLIMIT_CORE 4
#define UK_RLIMIT_NOFILE 7
#define UK_RLIMIT_AS 9
#define UK_RLIM_NLIMITS 16
#define UK_RLIM_INFINITY (~0ULL)

struct uk_rlimit {
	uint64_t cur, max;
};

/* The current limit `res` (0..15), or NULL for a bad number. */
struct uk_rlimit *uk_posix_rlimit_get(int res);
#endif
