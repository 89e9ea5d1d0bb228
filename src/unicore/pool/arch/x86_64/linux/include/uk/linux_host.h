/* uk/linux_host.h: the x86_64 arch as a Linux process (arch/x86_64/linux): raw host system
 * calls, the kernel's signal frame layout, and what the host side (plat/spt's tender) sets up
 * before the first kernel instruction. Arch-private: for arch/x86_64/linux and plat/spt (and
 * the tender, which includes it through uk/spt.h). Every host call the image makes goes through
 * uk_linux_syscall: its sites lie inside the kernel's text, the one region Linux's syscall user
 * dispatch lets through (docs/spt.md). */
#ifndef UK_LINUX_HOST_H
#define UK_LINUX_HOST_H

/* Host file descriptors the tender opens before it starts the kernel. */
#define UK_LINUX_FD_STDIN 0
#define UK_LINUX_FD_STDOUT 1
#define UK_LINUX_FD_STDERR 2
#define UK_LINUX_FD_KERNEL 3   /* kernel messages and crash reports */
#define UK_LINUX_FD_CONTROL 4  /* control lines: `exit N`, `crash SIG` */
#define UK_LINUX_FD_RAM 5      /* the guest's RAM, a memfd: file offset == guest address */
#define UK_LINUX_FD_VOLUME0 6  /* first volume directory (O_PATH), then one per volume */
#define UK_LINUX_VOLUMES_MAX 16 /* open files of the volumes come after them, up to UK_LINUX_FD_MAX */
#define UK_LINUX_FD_MAX 4095

/* Host system call numbers (x86_64) the image uses. */
#define UK_LINUX_NR_READ 0
#define UK_LINUX_NR_WRITE 1
#define UK_LINUX_NR_MMAP 9
#define UK_LINUX_NR_RT_SIGRETURN 15
#define UK_LINUX_NR_SETITIMER 38
#define UK_LINUX_NR_EXIT_GROUP 231
#define UK_LINUX_NR_CLOCK_GETTIME 228
#define UK_LINUX_NR_PPOLL 271

#define UK_LINUX_PROT_NONE 0
#define UK_LINUX_MAP_SHARED 0x01
#define UK_LINUX_MAP_FIXED 0x10

#define UK_LINUX_NOTE_TYPE 0x53505431 /* "SPT1": the note below */

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline long uk_linux_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3, r8 __asm__("r8") = a4, r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define uk_linux_syscall3(nr, a, b, c) uk_linux_syscall6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Linux's x86_64 signal frame (struct ucontext, struct sigcontext) and the siginfo fields used. */
struct uk_linux_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
struct uk_linux_ucontext {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct uk_linux_sigcontext mc;
	uint64_t sigmask;
};
struct uk_linux_siginfo {
	int32_t signo, err, code, pad;
	uint64_t addr;          /* faults: the address; SIGSYS: the call's address */
	int32_t syscall;        /* SIGSYS */
	uint32_t arch;
};

/* The image's entry points for the host (a PT_NOTE, owner "unicore", type UK_LINUX_NOTE_TYPE):
 * the tender reads it, installs the signal handlers with `restorer` as their return trampoline,
 * points the alternate signal stack at `altstack`, and lets system calls through from
 * [region_lo, region_hi) only (syscall user dispatch): the kernel's own code. */
struct uk_linux_note {
	uint64_t version;
	uint64_t on_syscall, on_fault, on_timer, restorer;
	uint64_t region_lo, region_hi;
	uint64_t altstack, altstack_len;
};
#endif
#endif
