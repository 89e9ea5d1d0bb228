/* Tries to reach the host from inside the unikernel. Default: raw `syscall` instructions for
 * open("/etc/shadow"), execve("/bin/sh") and ptrace(PTRACE_TRACEME), each printing its result
 * (natively, as root, the first and last succeed). "gadget": jump to a `syscall` instruction
 * inside the kernel's own code at 1 MiB with openat("/etc/shadow") set up, the way an exploit
 * would borrow the kernel's right to make host calls. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

static long raw(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static const unsigned char *find_syscall_insn(void)
{
	for (const unsigned char *p = (const unsigned char *)0x100000; p < (const unsigned char *)0x180000; p++)
		if (p[0] == 0x0f && p[1] == 0x05)
			return p;
	return 0;
}

int main(int argc, char **argv)
{
	static char *sh_argv[] = { "/bin/sh", "-c", "echo escaped", 0 };

	if (argc > 1 && !strcmp(argv[1], "gadget")) {
		const unsigned char *insn = find_syscall_insn();
		printf("gadget %s\n", insn ? "found" : "missing");
		fflush(stdout);
		if (insn)
			__asm__ volatile("jmp *%0" : : "r"(insn), "a"((long)SYS_openat), "D"((long)AT_FDCWD), "S"("/etc/shadow"),
					 "d"(0L) : "memory");
		return 1;
	}
	printf("open %ld\n", raw(SYS_open, (long)"/etc/shadow", O_RDONLY, 0));
	printf("execve %ld\n", raw(SYS_execve, (long)"/bin/sh", (long)sh_argv, 0));
	printf("ptrace %ld\n", raw(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0));
	return 0;
}
