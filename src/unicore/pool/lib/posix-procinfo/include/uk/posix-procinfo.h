/* uk/posix-procinfo.h: Linux x86_64 layouts of the records posix-procinfo fills. */
#ifndef UK_POSIX_PROCINFO_H
#define UK_POSIX_PROCINFO_H
#include <stdint.h>

struct uk_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

struct uk_tms {
	int64_t utime, stime, cutime, cstime;
};

struct uk_rusage {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
		nsignals, nvcsw, nivcsw;
};
#endif
