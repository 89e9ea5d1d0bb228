/* Binary test program (glibc): process information and attributes (posix-procinfo, mm-extra)
 * with the answers of the unikernel's one process; the test knows them exactly. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <unistd.h>
int main(void)
{
	struct sysinfo si; char name[16] = ""; stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 }, old;
	struct rusage ru; struct tms t; static char page[8192] __attribute__((aligned(4096))); unsigned char vec[2];
	int r = sysinfo(&si);
	printf("sysinfo %d procs %d ram>0 %d unit %u\n", r, si.procs, si.totalram > 0 && si.freeram <= si.totalram, si.mem_unit);
	printf("times %d\n", times(&t) >= 0);
	printf("getrusage %d\n", getrusage(RUSAGE_SELF, &ru));
	prctl(PR_SET_NAME, "renamed"); prctl(PR_GET_NAME, name);
	printf("name %s dumpable %d\n", name, prctl(PR_GET_DUMPABLE));
	printf("personality %d\n", personality(0xffffffff));
	printf("pgrp %d pgid %d sid %d setpgid %d\n", getpgrp(), getpgid(0), getsid(0), setpgid(0, 0));
	r = sigaltstack(&ss, &old);
	printf("sigaltstack %d old flags %d\n", r, old.ss_flags);
	r = mincore(page, 8192, vec);
	printf("msync %d mlock %d mincore %d %d%d\n", msync(page, 4096, MS_SYNC), mlock(page, 4096), r, vec[0], vec[1]);
	return 0;
}
