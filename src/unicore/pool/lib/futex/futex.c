/* Futexes (futex) for a process with one thread and no asynchronous signals: there is never a
 * waiter to wake, and a wait can only end by its value check or its timeout. A wait that could
 * never end (value matches, no timeout) is a deadlock: it is named on the console and the
 * process ends as a crash (SIGABRT), rather than hanging until the host's timeout. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/futex.h>

#define NS 1000000000ULL

struct kts {
	int64_t sec, nsec;
};

int uk_futex_wake_op(uint32_t *uaddr2, uint32_t enc)
{
	uint32_t op = (enc >> 28) & 7, cmp = (enc >> 24) & 15;
	uint32_t oparg = (enc >> 12) & 0xfff, cmparg = enc & 0xfff;
	uint32_t old = *uaddr2, v = old;

	if (enc >> 31) /* FUTEX_OP_OPARG_SHIFT */
		oparg = 1u << (oparg & 31);
	switch (op) {
	case 0: v = oparg; break;
	case 1: v = old + oparg; break;
	case 2: v = old | oparg; break;
	case 3: v = old & ~oparg; break;
	case 4: v = old ^ oparg; break;
	default: return -ENOSYS;
	}
	*uaddr2 = v;
	switch (cmp) {
	case 0: return old == cmparg;
	case 1: return old != cmparg;
	case 2: return (int32_t)old < (int32_t)cmparg;
	case 3: return (int32_t)old <= (int32_t)cmparg;
	case 4: return (int32_t)old > (int32_t)cmparg;
	case 5: return (int32_t)old >= (int32_t)cmparg;
	default: return -ENOSYS;
	}
}

static uint64_t clock_now(int realtime) { return realtime ? uk_plat_wall_ns() : uk_plat_monotonic_ns(); }

/* Spin until the deadline (no interrupts, nothing else to run), then time out. */
static long wait_until(int realtime, uint64_t deadline)
{
	while (clock_now(realtime) < deadline)
		uk_arch_pause();
	return -ETIMEDOUT;
}

static long futex_wait(uint32_t *uaddr, uint32_t val, const struct kts *ts, int absolute, int realtime)
{
	if ((uintptr_t)uaddr & 3)
		return -EINVAL;
	if (*(volatile uint32_t *)uaddr != val)
		return -EAGAIN;
	if (!ts) {
		uk_core_printk("unicore: futex wait on 0x%lx (value %u) with no timeout, and no other thread to wake it: "
			  "deadlock\n", (unsigned long)uaddr, val);
		uk_core_panic("deadlock in futex wait");
	}
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= (int64_t)NS)
		return -EINVAL;
	uint64_t span = (uint64_t)ts->sec * NS + (uint64_t)ts->nsec;
	return wait_until(realtime, absolute ? span : clock_now(realtime) + span);
}

UK_SYSCALL(futex)
{
	int cmd = (int)(a1 & UK_FUTEX_CMD_MASK), realtime = (a1 & UK_FUTEX_CLOCK_REALTIME) != 0;

	switch (cmd) {
	case UK_FUTEX_WAIT: /* relative timeout, always on the monotonic clock */
		return futex_wait((uint32_t *)a0, (uint32_t)a2, (const struct kts *)a3, 0, 0);
	case UK_FUTEX_WAIT_BITSET:
		if (!(uint32_t)a5)
			return -EINVAL;
		return futex_wait((uint32_t *)a0, (uint32_t)a2, (const struct kts *)a3, 1, realtime);
	case UK_FUTEX_WAKE:
	case UK_FUTEX_WAKE_BITSET:
	case UK_FUTEX_REQUEUE:
		return 0; /* nobody waits */
	case UK_FUTEX_CMP_REQUEUE:
		return *(volatile uint32_t *)a0 == (uint32_t)a5 ? 0 : -EAGAIN;
	case UK_FUTEX_WAKE_OP: {
		int r = uk_futex_wake_op((uint32_t *)a4, (uint32_t)a5);
		return r < 0 ? r : 0;
	}
	default:
		return -ENOSYS; /* FUTEX_FD (removed from Linux) and the PI operations */
	}
}

/* The robust list is walked by the kernel when a thread dies; with one thread that dies only
 * with the process, recording it is all there is to do. */
static long robust_head;

UK_SYSCALL(set_robust_list)
{
	if (a1 != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	robust_head = a0;
	return 0;
}

UK_SYSCALL(get_robust_list)
{
	if (a0 != 0 && a0 != 1)
		return -ESRCH;
	*(long *)a1 = robust_head;
	*(size_t *)a2 = 24;
	return 0;
}
