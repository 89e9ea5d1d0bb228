/* uk/arm64.h: arm64's private names shared by its own files and the platform (not part of the
 * contract, not for libraries). */
#ifndef UK_ARM64_H
#define UK_ARM64_H
#include <uk/arch.h>

#define UK_ARM64_SYSREG_READ(name) ({ uint64_t _v; __asm__ volatile("mrs %0, " #name : "=r"(_v)); _v; })
#define UK_ARM64_SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0; isb" : : "r"((uint64_t)(v)) : "memory")

/* The GICv2 at the addresses the device tree gives (distributor, CPU interface). */
void uk_arch_arm64_gic_init(uintptr_t dist, uintptr_t cpu);
extern uint64_t uk_arch_arm64_syscall_depth;  /* syscalls in progress on the running thread */
void uk_arch_arm64_fpu_save(void *area);      /* q0-q31, fpsr, fpcr: 528 bytes */
void uk_arch_arm64_fpu_restore(const void *area);
void uk_arch_arm64_ctx_switch(uint64_t *save, uint64_t sp);
extern char uk_arch_arm64_thread_entry[];
_Noreturn void uk_arch_arm64_regs_return(struct uk_regs *r);
extern char _uk_pagetables[];
#endif
