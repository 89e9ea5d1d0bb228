/* The console channel (docs/design.md, "Console channel"): one virtio-console port
 * (virtio-serial-device in multiport mode, a virtserialport at port 1: QEMU drops what a
 * virtconsole port's host side cannot take at once, and port 0 can only be one) carrying frames
 * both ways. A frame is an 8-byte header {u32 length, u32 fd}, little-endian, then `length` bytes.
 * Guest to host: fd 1 and 2 are the program's stdout and stderr; an empty fd-0 frame says "the
 * program reads stdin" (the host starts reading its own stdin only then). Host to guest: fd-0
 * frames are stdin, an empty one is its end. Kernel messages and crash reports stay on COM1
 * (serial_qemu.c): it needs no set-up and works from the first instruction to the last.
 * Without the device (QEMU started by hand), program output goes to COM1 and stdin is empty.
 * The device is set up at the first read or write: a program that uses neither does not pay. */
#include <uk/arch.h>
#include <uk/errno.h>
#include <uk/plat.h>
#include <uk/virtio.h>
#include "qemu.h"

#define PORT 1
#define CTRL_RXQ 2     /* control receiveq (device to driver) */
#define CTRL_TXQ 3
#define RXQ 4          /* receiveq of port 1 */
#define TXQ 5
#define NQ 6
#define QUEUES (1u << CTRL_RXQ | 1u << CTRL_TXQ | 1u << RXQ | 1u << TXQ) /* port 0's stay off */
#define F_MULTIPORT (1ULL << 1)
#define EV_DEVICE_READY 0 /* control events (virtio 1.2, 5.3.6.2) */
#define EV_PORT_ADD 1
#define EV_PORT_READY 3
#define EV_PORT_OPEN 6
#define CTRL_SPINS 100000
#define NRX 8          /* receive buffers (one page each) kept offered to the host */
#define RXBUF 4096
#define TXPAGES 16     /* the transmit buffer: header and up to 64 KiB - 8 of data per frame */
#define TX_MAX (TXPAGES * 4096u - sizeof(struct frame))

struct frame {
	uint32_t len, fd;
};

struct control {
	uint32_t id;
	uint16_t event, value;
};

static struct uk_virtio_dev con;
static struct uk_virtq q[NQ];
static int state; /* 0 not probed, 1 ready, -1 absent */
static uint8_t *rxbuf, *txbuf;

struct rx_state {
	int cur;                 /* receive buffer being consumed, -1 none */
	uint32_t len, pos;       /* its filled length and read position */
	struct frame hdr;        /* header being assembled across buffers */
	uint32_t hdr_have, left; /* header bytes held; data bytes left in the current frame */
	bool discard, eof, asked;
};
static struct rx_state rx = { .cur = -1 };

static void rx_offer(int i)
{
	q[RXQ].desc[i] = (struct uk_virtq_desc){ (uintptr_t)(rxbuf + i * RXBUF), RXBUF,
						 UK_VIRTQ_DESC_WRITE, 0 };
	uk_virtio_q_post(&q[RXQ], (uint16_t)i);
}

/* Waiting for the host: a polling wait until the scheduler's wait queues (a virtio interrupt)
 * replace it; both callers loop on their own condition around it. */
static void console_wait(void)
{
	for (volatile int i = 0; i < 200; i++)
		uk_arch_pause();
}

/* Waiting for stdin: other threads run for a millisecond (core decides: it knows them); with
 * none, a short pause between polls. */
static void input_wait(void)
{
	if (!uk_core_thread_yield_until(uk_plat_monotonic_ns() + 1000000))
		console_wait();
}

/* One buffer `buf` (len bytes, kernel memory) out on queue `qi` at descriptor 0; waits until
 * the device has taken it (QEMU does so during the notify unless the host side is full). */
static void send_wait(unsigned qi, const void *buf, uint32_t len)
{
	uint32_t done;

	q[qi].desc[0] = (struct uk_virtq_desc){ (uintptr_t)buf, len, 0, 0 };
	uk_virtio_q_post(&q[qi], 0);
	uk_virtio_notify(&con, qi);
	while (uk_virtio_q_take(&q[qi], &done) < 0)
		console_wait();
	uk_virtio_ack(&con);
}

static void control_send(uint16_t event, uint16_t value)
{
	static struct control c;

	c = (struct control){ PORT, event, value };
	send_wait(CTRL_TXQ, &c, sizeof(c));
}

/* Multiport start-up: with control buffers offered, say the driver is ready; the device answers
 * PORT_ADD for our port, which we declare ready and open (then it passes data both ways). */
static bool control_start(void)
{
	static struct control in[NRX];
	uint32_t len;
	int id;

	for (int i = 0; i < NRX; i++) {
		q[CTRL_RXQ].desc[i] = (struct uk_virtq_desc){ (uintptr_t)&in[i], sizeof(in[i]), UK_VIRTQ_DESC_WRITE, 0 };
		uk_virtio_q_post(&q[CTRL_RXQ], (uint16_t)i);
	}
	uk_virtio_notify(&con, CTRL_RXQ);
	control_send(EV_DEVICE_READY, 1);
	for (unsigned long spins = 0; spins < CTRL_SPINS; spins++) {
		id = uk_virtio_q_take(&q[CTRL_RXQ], &len);
		if (id < 0) {
			uk_arch_pause();
			continue;
		}
		if (id < NRX && in[id].event == EV_PORT_ADD && in[id].id == PORT) {
			control_send(EV_PORT_READY, 1);
			control_send(EV_PORT_OPEN, 1);
			return true;
		}
	}
	return false;
}

static int console_probe(void)
{
	if (state)
		return state;
	state = -1;
	if (uk_virtio_find(UK_VIRTIO_ID_CONSOLE, &con, 1) != 1 ||
	    uk_virtio_start_queues(&con, F_MULTIPORT, q, QUEUES, NRX) || !(con.features & F_MULTIPORT))
		return state;
	if (q[RXQ].num < NRX || q[CTRL_RXQ].num < NRX || !(rxbuf = uk_core_page_alloc(NRX)) ||
	    !(txbuf = uk_core_page_alloc(TXPAGES)))
		return state;
	for (int i = 0; i < NRX; i++)
		rx_offer(i);
	uk_virtio_notify(&con, RXQ);
	if (!control_start())
		return state;
	return state = 1;
}

/* One frame, and wait until the host has taken it. The data is copied into the kernel's own
 * buffer: the device reads guest-physical memory, and a program's buffer need not be mapped
 * one to one (demand-paged mappings), nor even present yet. */
static void tx_frame(uint32_t fd, const void *buf, uint32_t len)
{
	*(struct frame *)txbuf = (struct frame){ len, fd };
	uk_arch_copy(txbuf + sizeof(struct frame), buf, len);
	send_wait(TXQ, txbuf, (uint32_t)sizeof(struct frame) + len);
}

long uk_plat_console_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t n = len;

	if (console_probe() < 0) {
		uk_plat_kernel_write(buf, len);
		return (long)len;
	}
	while (n) {
		uint32_t chunk = n > TX_MAX ? TX_MAX : (uint32_t)n;

		tx_frame((uint32_t)fd, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return (long)len;
}

/* A control line as an fd-4 frame, for platforms without a control UART (QEMU virt, arm64:
 * docs/design.md); nothing when there is no console channel. */
void uk_plat_qemu_console_ctl(const char *line, size_t len)
{
	if (console_probe() > 0)
		tx_frame(4, line, (uint32_t)len);
}

/* The next filled receive buffer, if the host has sent one; false when none is there yet. */
static bool rx_have(void)
{
	uint32_t len;
	int id;

	if (rx.cur >= 0)
		return true;
	id = uk_virtio_q_take(&q[RXQ], &len);
	if (id < 0 || id >= NRX)
		return false;
	rx.cur = id, rx.len = len, rx.pos = 0;
	return true;
}

static void rx_header_done(void)
{
	rx.hdr_have = 0;
	rx.left = rx.hdr.len;
	rx.discard = rx.hdr.fd != 0; /* nothing else is defined host to guest: skip it */
	if (!rx.hdr.len && !rx.hdr.fd)
		rx.eof = true;
}

/* Copy stdin bytes that have arrived into buf (at most len); returns how many. */
static size_t rx_take(char *buf, size_t len)
{
	size_t n = 0;

	while (n < len && !rx.eof && rx_have()) {
		const uint8_t *p = rxbuf + rx.cur * RXBUF + rx.pos;
		uint32_t avail = rx.len - rx.pos, c;

		if (!rx.left && rx.hdr_have < sizeof(rx.hdr)) {
			c = sizeof(rx.hdr) - rx.hdr_have < avail ? sizeof(rx.hdr) - rx.hdr_have : avail;
			uk_arch_copy((uint8_t *)&rx.hdr + rx.hdr_have, p, c);
			rx.hdr_have += c;
			if (rx.hdr_have == sizeof(rx.hdr))
				rx_header_done();
		} else {
			c = rx.left < avail ? rx.left : avail;
			if (!rx.discard && c > len - n)
				c = (uint32_t)(len - n);
			if (!rx.discard)
				uk_arch_copy(buf + n, p, c), n += c;
			rx.left -= c;
		}
		rx.pos += c;
		if (rx.pos == rx.len) { /* consumed: offer it again */
			rx_offer(rx.cur);
			uk_virtio_notify(&con, RXQ);
			rx.cur = -1;
		}
	}
	return n;
}

/* With --debug, a program that has waited long for stdin says so once: a "hang" is then seen to
 * be a read of stdin that the host has neither fed nor ended (its own stdin is still open). */
#define STDIN_WAIT_NOTE_NS (5ULL * 1000000000ULL)

static void note_long_wait(uint64_t *since)
{
	static bool said;
	uint64_t now;

	static const char note[] = "unicore: debug: read of stdin (fd 0) has waited 5 s: the host has sent "
				   "nothing and not ended it (is the runner's stdin a terminal or an open pipe?)\n";

	if (!uk_plat_qemu_debug || said)
		return;
	now = uk_plat_monotonic_ns();
	if (!*since)
		*since = now;
	else if (now - *since > STDIN_WAIT_NOTE_NS) {
		said = true;
		uk_plat_kernel_write(note, sizeof(note) - 1);
	}
}

long uk_plat_console_read(char *buf, size_t len, bool wait)
{
	uint64_t since = 0;
	size_t n;

	if (console_probe() < 0 || !len)
		return 0;
	if (!rx.asked) {
		rx.asked = true;
		tx_frame(0, NULL, 0);
		/* Kick the receive queue once more: QEMU stops watching the socket while the port is
		 * closed and only looks again on a guest's notify (seen on virt, where nothing else
		 * wakes its main loop before the host's first stdin frame). */
		uk_virtio_notify(&con, RXQ);
	}
	while (!(n = rx_take(buf, len)) && !rx.eof) {
		if (!wait)
			return -EAGAIN;
		note_long_wait(&since);
		input_wait();
	}
	return (long)n;
}

/* "unicore: panic: MSG" on the kernel console (uk_plat_qemu_fatal of either arch, before or
 * after core runs). */
void uk_plat_qemu_say_panic(const char *msg)
{
	const char *p = msg;

	uk_plat_kernel_write("unicore: panic: ", 16);
	while (*p)
		p++;
	uk_plat_kernel_write(msg, (size_t)(p - msg));
	uk_plat_kernel_write("\n", 1);
}
