/* linux.h: names shared by the sources of arch/x86_64/linux (not part of any contract). */
#ifndef UK_ARCH_LINUX_PRIV_H
#define UK_ARCH_LINUX_PRIV_H
#include <uk/arch.h>
#include <uk/image.h>
#include <uk/linux_host.h>

struct uk_linux_siginfo;
struct uk_linux_ucontext;
extern char uk_arch_linux_syscall_stub[], uk_arch_linux_irq_stub[]; /* entry_linux.S */
extern char uk_arch_linux_fast_syscall[];   /* entry_linux.S: a rewritten site's way in */
void uk_arch_linux_rewrite_sites(void);     /* rewrite_linux.c, before the program's first instruction */
extern unsigned long uk_arch_linux_sites_rewritten;
void uk_arch_linux_on_syscall(int sig, struct uk_linux_siginfo *si, struct uk_linux_ucontext *uc);
void uk_arch_linux_on_fault(int sig, struct uk_linux_siginfo *si, struct uk_linux_ucontext *uc);
void uk_arch_linux_on_timer(int sig, struct uk_linux_siginfo *si, struct uk_linux_ucontext *uc);
void uk_arch_linux_syscall(struct uk_regs *r);
void uk_arch_linux_irq(struct uk_regs *r);
void uk_arch_linux_start(uintptr_t boot);
/* Map [va, va + len) to RAM at pa (the RAM memfd's offset) with prot; PROT_NONE keeps the range
 * reserved but inaccessible. 0, or -1 when the host refused. */
int uk_arch_linux_map(uintptr_t va, uintptr_t pa, size_t len, int prot);
#endif
