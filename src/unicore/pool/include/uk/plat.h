/* uk/plat.h: the platform interface (console, control channel, clocks, memory, shutdown).
 * plat/qemu implements it for QEMU microvm; another platform provides the same names. */
#ifndef UK_PLAT_H
#define UK_PLAT_H
#include <stdint.h>
#include <stddef.h>

void uk_plat_start(uintptr_t boot_info);      /* called by the arch entry; never returns */

void uk_plat_console_write(const char *buf, size_t len);
void uk_plat_console_input_start(void);        /* idempotent; the first getc calls it: host may send input */
int uk_plat_console_getc(void);                /* blocking: one raw byte from the host */
void uk_plat_ctl_write(const char *line);      /* control channel to the host (COM2) */

_Noreturn void uk_plat_exit(int status);       /* the program's exit status to the host */
_Noreturn void uk_plat_crash(int signal);      /* after a crash report; signal as in 128+sig */

uint64_t uk_plat_monotonic_ns(void);           /* since boot */
uint64_t uk_plat_wall_ns(void);                /* since the Unix epoch */
uint64_t uk_plat_tsc_hz(void);
uint64_t uk_plat_cycles_to_ns(uint64_t cycles);
uintptr_t uk_plat_ram_top(void);               /* highest usable RAM address + 1 */
int uk_plat_initrd(const void **buf, size_t *len); /* the PVH module: 0, or -1 when none */
void uk_plat_initrd_release(void);             /* its pages (or the linked archive's) back to RAM */
#endif
