/* uk/arch.h: the architecture contract. Every arch library (pool/arch/<arch>/) implements these
 * names and provides <uk/arch_defs.h> (UK_ARCH_NAME, UK_PAGE_SHIFT, UK_PAGE_SIZE, struct uk_regs,
 * inline uk_arch_cycles/uk_arch_pause/uk_arch_frame_pointer). Portable code includes only this
 * header; arch-private helpers (e.g. <uk/x86_64.h>) are for arch and platform code. */
#ifndef UK_ARCH_H
#define UK_ARCH_H
#include <stdint.h>
#include <stddef.h>
#include <uk/arch_defs.h>

/* Set by the arch's entry code: uk_arch_cycles() when the image started running (boottime). */
extern uint64_t uk_arch_boot_cycles;

void uk_arch_cpu_init(void);                 /* traps, FPU/SIMD, syscall entry */
void uk_arch_set_tls(uint64_t base);         /* the program's thread pointer (x86_64: FS base) */
uint64_t uk_arch_get_tls(void);
uint64_t uk_arch_hwcap(void);                /* value for AT_HWCAP, as Linux gives it */
int uk_arch_rdrand64(uint64_t *out);         /* 1 when the CPU produced a random word */
_Noreturn void uk_arch_halt(void);
int uk_arch_page_unmap(uintptr_t va);        /* guard page: later accesses fault; 0 or -1 */
_Noreturn void uk_arch_enter_program(uintptr_t entry, uintptr_t sp);

/* Crash reporting: symbol lookup in the image's embedded table. */
const char *uk_arch_symbol(uintptr_t addr, uintptr_t *offset);
#endif
