/* uk/futex.h: futex operation numbers and flags (Linux ABI) and the pure decision logic the
 * handler uses (host unit-testable: no clock, no memory but the futex word). */
#ifndef UK_FUTEX_H
#define UK_FUTEX_H
#include <stdint.h>

#define UK_FUTEX_WAIT 0
#define UK_FUTEX_WAKE 1
#define UK_FUTEX_FD 2
#define UK_FUTEX_REQUEUE 3
#define UK_FUTEX_CMP_REQUEUE 4
#define UK_FUTEX_WAKE_OP 5
#define UK_FUTEX_WAIT_BITSET 9
#define UK_FUTEX_WAKE_BITSET 10
#define UK_FUTEX_PRIVATE_FLAG 128
#define UK_FUTEX_CLOCK_REALTIME 256
#define UK_FUTEX_CMD_MASK (~(UK_FUTEX_PRIVATE_FLAG | UK_FUTEX_CLOCK_REALTIME))


/* FUTEX_WAKE_OP: apply the encoded operation to *uaddr2; returns whether its comparison held. */
int uk_futex_wake_op(uint32_t *uaddr2, uint32_t encoded);
/* Wake up to n waiters of uaddr whose bitset meets `bits` (thread exit's CLEARTID wake). */
long uk_futex_wake(uint32_t *uaddr, int n, uint32_t bits);
#endif
