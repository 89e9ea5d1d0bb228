/* aarch64, no libc: functions with .eh_frame FDEs (as glibc's ld.so has) whose first instruction
 * begins with a zero byte (mov x0, #0 is 0xd2800000, stored 00 00 80 d2), like ld.so's
 * __tls_init_tp, whose set_tid_address the analysis once lost: the number is set earlier (x8
 * before other instructions) and through w8. No function symbols: ld.so is stripped. */
    .text
    .globl _start
_start:
    bl      tls_init
    bl      tid
    mov     x0, #0
    mov     x8, #93             /* exit */
    svc     #0

tls_init:
    .cfi_startproc
    mov     x0, #0
    mov     x8, #96             /* set_tid_address, set before other work */
    add     x1, x0, #16
    str     x1, [sp, #-16]!
    ldr     x1, [sp], #16
    svc     #0
    ret
    .cfi_endproc

tid:
    .cfi_startproc
    mov     x0, #0
    mov     w8, #178            /* gettid, through w8 */
    svc     #0
    ret
    .cfi_endproc
