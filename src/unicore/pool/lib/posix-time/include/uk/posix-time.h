/* uk/posix-time.h: Linux time structures and clock ids used by the time syscalls. */
#ifndef UK_POSIX_TIME_H
#define UK_POSIX_TIME_H
#include <stdint.h>
struct uk_timespec { int64_t tv_sec, tv_nsec; };
struct uk_timeval { int64_t tv_sec, tv_usec; };
#define UK_CLOCK_REALTIME 0
#define UK_CLOCK_REALTIME_COARSE 5
#define UK_CLOCK_TAI 11
#endif
