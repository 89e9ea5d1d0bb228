/* net: driving lwIP (NO_SYS=1, docs/net.md). There is one thread of control in the stack:
 * socket syscalls call lwIP with interrupts off, and a core timer (interrupt context, so
 * never in the middle of a syscall) polls the device and runs lwIP's timeouts every POLL_US
 * microseconds while traffic flows, 16 times less often once idle. Callbacks wake the
 * sockets' wait queues. Settings come from kernel tokens (uk_core_boot_param). */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk_config.h>
#include "net_priv.h"
#include "lwip/init.h"
#include "lwip/timeouts.h"
#include "lwip/ip4_addr.h"

#define BUSY_NS 200000000ULL /* fast polling this long after the last traffic */
#define IDLE_FACTOR 16
#define DRAIN_STALL_NS 2000000000ULL /* the end waits while peers acknowledge, this long without */
#define DRAIN_MAX_NS 10000000000ULL  /* and this long at most */

static struct netif nif;
static struct uk_timer poll_timer;
static uint64_t last_activity;
static int state; /* 0 down, 1 up, <0 -errno */

uint32_t uk_net_sys_now(void) { return (uint32_t)(uk_plat_monotonic_ns() / 1000000ULL); }

unsigned uk_net_rand(void)
{
	unsigned r;

	uk_core_random_fill(&r, sizeof(r));
	return r;
}

void *uk_net_calloc(size_t n, size_t size) { return uk_core_zalloc(n * size); }

void uk_net_diag(const char *fmt, ...)
{
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	uk_core_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	uk_core_log(UK_LOG_DEBUG, "lwip: %s", line);
}

_Noreturn void uk_net_assert(const char *msg, const char *file, int line)
{
	uk_core_printk("unicore: lwIP assertion failed: %s (%s:%d)\n", msg, file, line);
	uk_core_panic("lwIP assertion");
}

void uk_net_activity(void) { last_activity = uk_plat_monotonic_ns(); }

static void run(void)
{
	if (uk_net_dev_poll())
		uk_net_activity();
	netif_poll_all();
	sys_check_timeouts();
}

static void poll_tick(struct uk_timer *t)
{
	uint64_t now, every = UK_NET_POLL_US * 1000ULL;

	run();
	now = uk_plat_monotonic_ns(); /* after run(): last_activity may have moved past an earlier now */
	if (now - last_activity > BUSY_NS)
		every *= IDLE_FACTOR;
	uk_core_timer_add(t, now + every);
}

void uk_net_kick(void)
{
	if (state != 1)
		return;
	uk_net_activity();
	run();
}

/* The program ended: Linux would go on sending what it wrote, but here the machine stops next,
 * and with it QEMU's user network, so the unacknowledged end of an echo, a datagram still in
 * the transmit queue or a FIN not sent yet would be lost (the host sees end of file early).
 * Run the stack until peers have everything, or until they stop acknowledging. */
void uk_net_drain(void)
{
	uint64_t start = uk_plat_monotonic_ns(), moved = start, now;
	size_t owed, least = (size_t)-1;

	if (state != 1)
		return;
	while ((owed = uk_net_tcp_owed()) || !uk_net_dev_tx_idle()) {
		now = uk_plat_monotonic_ns();
		if (owed < least)
			least = owed, moved = now;
		if (now - moved > DRAIN_STALL_NS || now - start > DRAIN_MAX_NS) {
			uk_core_log(UK_LOG_INFO, "net: exit with %lu bytes unacknowledged", (unsigned long)owed);
			return;
		}
		run();
		uk_arch_pause();
	}
	uk_core_log(UK_LOG_DEBUG, "net: drained in %lu us", (unsigned long)((uk_plat_monotonic_ns() - start) / 1000));
}

/* A token A.B.C.D (net.ip may carry /PREFIX); 0 when it is absent or not an address. */
static int token_ip(const char *key, ip4_addr_t *out, int *prefix)
{
	const char *v = uk_core_boot_param(key);
	char buf[32];
	size_t i = 0;

	if (!v)
		return 0;
	while (v[i] && v[i] != '/' && i < sizeof(buf) - 1) {
		buf[i] = v[i];
		i++;
	}
	buf[i] = 0;
	if (prefix && v[i] == '/')
		*prefix = (int)(v[i + 1] - '0') * (v[i + 2] ? 10 : 1) + (v[i + 2] ? v[i + 2] - '0' : 0);
	return ip4addr_aton(buf, out);
}

static void configure(void)
{
	ip4_addr_t ip, mask, gw;
	int prefix = 24;

	if (!token_ip("net.ip", &ip, &prefix))
		IP4_ADDR(&ip, 10, 0, 2, 15); /* QEMU's user network: the guest's usual address */
	if (!token_ip("net.gw", &gw, NULL))
		IP4_ADDR(&gw, 10, 0, 2, 2);
	if (prefix < 0 || prefix > 32)
		prefix = 24;
	ip4_addr_set_u32(&mask, lwip_htonl(prefix ? 0xffffffffu << (32 - prefix) : 0));
	netif_set_addr(&nif, &ip, &mask, &gw);
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	uk_core_log(UK_LOG_INFO, "net: %s/%d", ip4addr_ntoa(&ip), prefix);
}

/* Bring the stack up on the first socket: the device when there is one (else loopback only). */
long uk_net_init(void)
{
	long err;

	if (state)
		return state < 0 ? state : 0;
	lwip_init();
	err = uk_net_dev_init(&nif);
	if (!err)
		configure();
	else if (err != -ENODEV) {
		state = (int)err;
		return err;
	}
	state = 1;
	uk_net_activity();
	poll_timer.fn = poll_tick;
	uk_core_timer_add(&poll_timer, uk_plat_monotonic_ns() + UK_NET_POLL_US * 1000ULL);
	return 0;
}
