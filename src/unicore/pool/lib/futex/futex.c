/* Futexes (futex): waiters on one wait queue (uk/wait.h) keyed by address, woken by WAKE,
 * WAKE_BITSET, WAKE_OP and (CMP_)REQUEUE, timeouts relative (WAIT) or absolute (WAIT_BITSET,
 * monotonic or FUTEX_CLOCK_REALTIME). With the sched library other threads run meanwhile;
 * with one thread the CPU halts until the timeout. A wait that nothing could ever end (one
 * thread, no timeout, no timer armed) is a deadlock: it is named on the console and the
 * process ends as a crash (SIGABRT), rather than hanging until the host's timeout. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/futex.h>
#include <uk/proc.h>
#include <uk/wait.h>

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

/* Every futex waiter is on this one queue, keyed by its address (and its address space, with
 * processes: private and shared futexes are the same), with its bitset. */
static struct uk_waitq waiters;

/* With processes (lib/proc) each address space's futexes are its own: the key carries the space
 * in the bits above the program's addresses (below 2^47), as Linux's private futexes. */
UK_OPTIONAL(uk_proc_space_id);

static uintptr_t key_of(const uint32_t *uaddr)
{
	return (uintptr_t)uaddr | (uk_proc_space_id ? (uintptr_t)uk_proc_space_id() << 48 : 0);
}

static bool matches(const struct uk_waiter *w, uintptr_t key, uint32_t bits) { return w->key == key && (w->bits & bits); }

struct wake_key {
	uintptr_t key;
	uint32_t bits;
};

static bool picked(const struct uk_waiter *w, const void *arg)
{
	const struct wake_key *k = arg;
	return matches(w, k->key, k->bits);
}

/* Wake up to n waiters on uaddr whose bitset meets `bits`, oldest first. */
long uk_futex_wake(uint32_t *uaddr, int n, uint32_t bits)
{
	struct wake_key k = { key_of(uaddr), bits };
	return uk_core_waitq_wake_if(&waiters, n, picked, &k);
}

/* Move up to n waiters of uaddr to uaddr2 (they then wait there). */
static long requeue(uint32_t *uaddr, uint32_t *uaddr2, long n)
{
	long moved = 0;

	for (struct uk_waiter *w = waiters.head; w && moved < n; w = w->next)
		if (w->key == key_of(uaddr)) {
			w->key = key_of(uaddr2);
			moved++;
		}
	return moved;
}

static _Noreturn void deadlock(uint32_t *uaddr, uint32_t val)
{
	uk_core_printk("unicore: futex wait on 0x%lx (value %u) with no timeout, and no other thread to wake it: "
		  "deadlock\n", (unsigned long)uaddr, val);
	uk_core_panic("deadlock in futex wait");
}

/* The deadline on the monotonic clock; 0 without a timeout, -EINVAL for a bad one. */
static int64_t deadline_of(const struct kts *ts, int absolute, int realtime)
{
	if (!ts)
		return 0;
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= (int64_t)NS)
		return -EINVAL;
	uint64_t span = (uint64_t)ts->sec * NS + (uint64_t)ts->nsec, mono = uk_plat_monotonic_ns();
	if (!absolute)
		return (int64_t)(mono + span);
	uint64_t now = clock_now(realtime);
	return (int64_t)(span > now ? mono + (span - now) : mono) | 1; /* never 0: "no timeout" */
}

static long futex_wait(uint32_t *uaddr, uint32_t val, const struct kts *ts, int absolute, int realtime, uint32_t bits)
{
	struct uk_waiter w = { .key = key_of(uaddr), .bits = bits };

	if ((uintptr_t)uaddr & 3)
		return -EINVAL;
	int64_t deadline = deadline_of(ts, absolute, realtime);
	if (deadline < 0)
		return deadline;
	if (*(volatile uint32_t *)uaddr != val)
		return -EAGAIN;
	if (!deadline && uk_core_thread_alone() && !uk_core_timer_pending())
		deadlock(uaddr, val);
	if (deadline && (uint64_t)deadline <= uk_plat_monotonic_ns())
		return -ETIMEDOUT;
	uk_core_waitq_add(&waiters, &w);
	w.key = key_of(uaddr);
	w.bits = bits;
	int why = uk_core_thread_block((uint64_t)deadline, "a futex");
	uk_core_waitq_del(&w);
	if (w.woken)
		return 0;
	return why == UK_WAKE_SIGNAL ? -EINTR : -ETIMEDOUT;
}

static long wake_op(uint32_t *uaddr, long n, long n2, uint32_t *uaddr2, uint32_t enc)
{
	int r = uk_futex_wake_op(uaddr2, enc);

	if (r < 0)
		return r;
	long woken = uk_futex_wake(uaddr, (int)n, ~0u);
	return woken + (r ? uk_futex_wake(uaddr2, (int)n2, ~0u) : 0);
}

static long cmp_requeue(uint32_t *uaddr, long n, long n2, uint32_t *uaddr2, uint32_t val)
{
	if (*(volatile uint32_t *)uaddr != val)
		return -EAGAIN;
	long woken = uk_futex_wake(uaddr, (int)n, ~0u);
	return woken + requeue(uaddr, uaddr2, n2);
}

UK_SYSCALL(futex)
{
	int cmd = (int)(a1 & UK_FUTEX_CMD_MASK), realtime = (a1 & UK_FUTEX_CLOCK_REALTIME) != 0;
	uint32_t *uaddr = (uint32_t *)a0, *uaddr2 = (uint32_t *)a4;

	switch (cmd) {
	case UK_FUTEX_WAIT: /* relative timeout */
		return futex_wait(uaddr, (uint32_t)a2, (const struct kts *)a3, 0, 0, ~0u);
	case UK_FUTEX_WAIT_BITSET:
		if (!(uint32_t)a5)
			return -EINVAL;
		return futex_wait(uaddr, (uint32_t)a2, (const struct kts *)a3, 1, realtime, (uint32_t)a5);
	case UK_FUTEX_WAKE:
		return uk_futex_wake(uaddr, (int)a2, ~0u);
	case UK_FUTEX_WAKE_BITSET:
		return (uint32_t)a5 ? uk_futex_wake(uaddr, (int)a2, (uint32_t)a5) : -EINVAL;
	case UK_FUTEX_REQUEUE: {
		long woken = uk_futex_wake(uaddr, (int)a2, ~0u);
		requeue(uaddr, uaddr2, a3);
		return woken;
	}
	case UK_FUTEX_CMP_REQUEUE:
		return cmp_requeue(uaddr, a2, a3, uaddr2, (uint32_t)a5);
	case UK_FUTEX_WAKE_OP:
		return wake_op(uaddr, a2, a3, uaddr2, (uint32_t)a5);
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
