/* Host unit tests of futex (with core's timers and single-thread waiting), posix-rlimit and posix-sched (pure logic over a fake clock), built
 * with -fsanitize=address,undefined. Usage: units NAME; prints "ok NAME" and exits 0 when every
 * check passed. "deadlock" ends through uk_core_panic (exit 3, the console text on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/futex.h>
#include <uk/posix-rlimit.h>
#include <uk/posix-sched.h>

struct uk_bootargs uk_core_boot;
struct uk_palloc uk_core_pages;
static char console[4096];
static size_t console_len;
static uint64_t fake_ns; /* every clock read advances the fake clock by 1 ms */

uint64_t uk_plat_monotonic_ns(void) { return fake_ns += 1000000; }
uint64_t uk_plat_wall_ns(void) { return 1700000000ULL * 1000000000ULL + (fake_ns += 1000000); }
void uk_plat_kernel_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len && console_len + 1 < sizeof(console); i++)
		console[console_len++] = buf[i];
}
/* The timer interrupt: the idle wait lets the fake clock move on and runs the timer handler. */
static void (*timer_handler)(void);
void uk_plat_timer_set_handler(void (*fn)(void)) { timer_handler = fn; }
void uk_plat_timer_arm(uint64_t deadline_ns) { (void)deadline_ns; }
void uk_arch_idle_wait(void)
{
	if (timer_handler)
		timer_handler();
}
_Noreturn void uk_plat_crash(int sig)
{
	fprintf(stderr, "crash %d: %.*s", sig, (int)console_len, console);
	exit(3);
}

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)
#define SYS(name, ...) uk_sys_##name(__VA_ARGS__)
long uk_sys_futex(long, long, long, long, long, long);
long uk_sys_set_robust_list(long, long, long, long, long, long);
long uk_sys_get_robust_list(long, long, long, long, long, long);
long uk_sys_prlimit64(long, long, long, long, long, long);
long uk_sys_getrlimit(long, long, long, long, long, long);
long uk_sys_setrlimit(long, long, long, long, long, long);
long uk_sys_sched_getaffinity(long, long, long, long, long, long);
long uk_sys_sched_setaffinity(long, long, long, long, long, long);
long uk_sys_sched_get_priority_max(long, long, long, long, long, long);
long uk_sys_getpriority(long, long, long, long, long, long);
long uk_sys_setpriority(long, long, long, long, long, long);

struct kts {
	int64_t sec, nsec;
};

static void test_wake_op(void)
{
	uint32_t w = 5;
	/* op SET (0) oparg 7, cmp EQ (0) cmparg 5: old 5 == 5 */
	CHECK(uk_futex_wake_op(&w, (0u << 28) | (0u << 24) | (7u << 12) | 5u) == 1 && w == 7);
	CHECK(uk_futex_wake_op(&w, (1u << 28) | (1u << 24) | (3u << 12) | 7u) == 0 && w == 10); /* ADD, NE */
	CHECK(uk_futex_wake_op(&w, (2u << 28) | (2u << 24) | (1u << 12) | 11u) == 1 && w == 11); /* OR, LT */
	CHECK(uk_futex_wake_op(&w, (3u << 28) | (3u << 24) | (1u << 12) | 11u) == 1 && w == 10); /* ANDN, LE */
	CHECK(uk_futex_wake_op(&w, (4u << 28) | (4u << 24) | (15u << 12) | 10u) == 0 && w == 5); /* XOR, GT */
	CHECK(uk_futex_wake_op(&w, (8u << 28) | (5u << 24) | (3u << 12) | 5u) == 1 && w == 8); /* SET 1<<3, GE */
	CHECK(uk_futex_wake_op(&w, (5u << 28)) == -ENOSYS);
	CHECK(uk_futex_wake_op(&w, (6u << 24)) == -ENOSYS);
}

static void test_futex(void)
{
	static uint32_t word = 3, other = 0;
	struct kts rel = { 0, 20000000 }, bad = { 0, 1000000000 };
	long priv = UK_FUTEX_PRIVATE_FLAG;

	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAKE | priv, 1, 0, 0, 0) == 0);
	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAIT | priv, 4, 0, 0, 0) == -EAGAIN);
	uint64_t before = fake_ns;
	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAIT | priv, 3, (long)&rel, 0, 0) == -ETIMEDOUT);
	CHECK(fake_ns - before >= 20000000);
	struct kts abs = { 0, (int64_t)(fake_ns + 5000000) };
	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAIT_BITSET | priv, 3, (long)&abs, 0, -1) == -ETIMEDOUT);
	CHECK(fake_ns >= (uint64_t)abs.nsec);
	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAIT_BITSET, 3, (long)&abs, 0, 0) == -EINVAL); /* empty bitset */
	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAIT, 3, (long)&bad, 0, 0) == -EINVAL);
	CHECK(SYS(futex, (long)&word + 1, UK_FUTEX_WAIT, 3, (long)&rel, 0, 0) == -EINVAL);
	CHECK(SYS(futex, (long)&word, UK_FUTEX_CMP_REQUEUE, 1, 1, (long)&other, 3) == 0);
	CHECK(SYS(futex, (long)&word, UK_FUTEX_CMP_REQUEUE, 1, 1, (long)&other, 4) == -EAGAIN);
	CHECK(SYS(futex, (long)&word, UK_FUTEX_WAKE_OP, 1, 1, (long)&other, (1u << 28) | (1u << 12)) == 0 && other == 1);
	CHECK(SYS(futex, (long)&word, 6 /* LOCK_PI */, 0, 0, 0, 0) == -ENOSYS);
	long head = 0, len = 0;
	CHECK(SYS(set_robust_list, 0x1000, 24, 0, 0, 0, 0) == 0);
	CHECK(SYS(set_robust_list, 0x1000, 16, 0, 0, 0, 0) == -EINVAL);
	CHECK(SYS(get_robust_list, 0, (long)&head, (long)&len, 0, 0, 0) == 0 && head == 0x1000 && len == 24);
	CHECK(SYS(get_robust_list, 7, (long)&head, (long)&len, 0, 0, 0) == -ESRCH);
}

static void test_deadlock(void)
{
	static uint32_t word = 1;

	SYS(futex, (long)&word, UK_FUTEX_WAIT, 1, 0, 0, 0);
	CHECK(!"a wait that nothing can end must not return");
}

static void test_rlimit(void)
{
	struct uk_rlimit r, want = { 100, 200 }, bad = { 300, 200 };

	CHECK(SYS(getrlimit, UK_RLIMIT_STACK, (long)&r, 0, 0, 0, 0) == 0 && r.cur == 1048576 && r.max == UK_RLIM_INFINITY);
	CHECK(SYS(getrlimit, UK_RLIMIT_NOFILE, (long)&r, 0, 0, 0, 0) == 0 && r.cur == 1024 && r.max == 1024);
	CHECK(SYS(prlimit64, 0, UK_RLIMIT_NOFILE, (long)&want, (long)&r, 0, 0) == 0 && r.cur == 1024);
	CHECK(SYS(prlimit64, 1, UK_RLIMIT_NOFILE, 0, (long)&r, 0, 0) == 0 && r.cur == 100 && r.max == 200);
	CHECK(SYS(prlimit64, 0, UK_RLIMIT_NOFILE, (long)&bad, 0, 0, 0) == -EINVAL);
	CHECK(SYS(prlimit64, 2, UK_RLIMIT_NOFILE, 0, (long)&r, 0, 0) == -ESRCH);
	CHECK(SYS(prlimit64, 0, 16, 0, (long)&r, 0, 0) == -EINVAL);
	CHECK(SYS(setrlimit, UK_RLIMIT_CORE, (long)&want, 0, 0, 0, 0) == 0);
	CHECK(SYS(getrlimit, UK_RLIMIT_CORE, (long)&r, 0, 0, 0, 0) == 0 && r.cur == 100);
	CHECK(SYS(setrlimit, -1, (long)&want, 0, 0, 0, 0) == -EINVAL);
}

static void test_sched(void)
{
	uint64_t mask[2] = { 0, 0 };
	uint8_t none = 2, cpu0 = 1;

	CHECK(SYS(sched_getaffinity, 0, 16, (long)mask, 0, 0, 0) == 8 && mask[0] == 1);
	CHECK(SYS(sched_getaffinity, 0, 4, (long)mask, 0, 0, 0) == -EINVAL);
	CHECK(SYS(sched_getaffinity, 5, 8, (long)mask, 0, 0, 0) == -ESRCH);
	CHECK(SYS(sched_setaffinity, 0, 1, (long)&cpu0, 0, 0, 0) == 0);
	CHECK(SYS(sched_setaffinity, 0, 1, (long)&none, 0, 0, 0) == -EINVAL);
	CHECK(SYS(sched_get_priority_max, 1, 0, 0, 0, 0, 0) == 99 && SYS(sched_get_priority_max, 7, 0, 0, 0, 0, 0) == -EINVAL);
	CHECK(SYS(getpriority, 0, 0, 0, 0, 0, 0) == 20);
	CHECK(SYS(setpriority, 0, 0, 50, 0, 0, 0) == 0 && SYS(getpriority, 0, 0, 0, 0, 0, 0) == 1); /* nice 19 */
	CHECK(SYS(setpriority, 0, 3, 0, 0, 0, 0) == -ESRCH);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } tests[] = {
		{ "wake_op", test_wake_op }, { "futex", test_futex }, { "deadlock", test_deadlock },
		{ "rlimit", test_rlimit }, { "sched", test_sched },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(argv[1], tests[i].name)) {
			tests[i].fn();
			printf("ok %s\n", argv[1]);
			return 0;
		}
	fprintf(stderr, "usage: units wake_op|futex|deadlock|rlimit|sched\n");
	return 2;
}
