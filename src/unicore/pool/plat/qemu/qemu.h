/* qemu.h: plat/qemu's own shared names (not part of the contract, not for other libraries). */
#ifndef UK_PLAT_QEMU_H
#define UK_PLAT_QEMU_H
#include <uk/plat.h>

#define UK_PLAT_QEMU_PAGE 4096UL

void uk_plat_qemu_serial_init(void);
void uk_plat_qemu_timer_init(void);                   /* before interrupts are ever enabled */
void uk_plat_qemu_ctl_write(const char *line);        /* a line on COM2, the control channel */
void uk_plat_qemu_console_ctl(const char *line, size_t len); /* a control line as an fd-4 console frame */
_Noreturn void uk_plat_qemu_fatal(const char *msg);   /* before core runs: say why, then crash */
bool uk_plat_qemu_kernel_token(const char *cmdline, const char *token); /* cmdline_qemu.c */
void uk_plat_qemu_say_panic(const char *msg);          /* console_qemu.c */
extern bool uk_plat_qemu_debug;                        /* the kernel token `debug` was given */
#endif
