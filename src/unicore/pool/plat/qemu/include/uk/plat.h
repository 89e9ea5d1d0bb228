/* uk/plat.h: the platform interface (console streams, kernel log, control channel, clocks, memory, shutdown).
 * plat/qemu implements it for QEMU microvm; another platform provides the same names. */
#ifndef UK_PLAT_H
#define UK_PLAT_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

void uk_plat_start(uintptr_t boot_info);      /* called by the arch entry; never returns */

/* The program's standard streams, each its own stream on the host (docs/design.md). */
long uk_plat_console_write(int fd, const void *buf, size_t len); /* fd 1 stdout, 2 stderr; returns len */
/* stdin: what has arrived (at least 1 byte: waits for it, or -EAGAIN without `wait`); 0 at end of file */
long uk_plat_console_read(void *buf, size_t len, bool wait);
void uk_plat_kernel_write(const char *buf, size_t len); /* kernel messages and crash reports */
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
