/* net: TCP sockets on lwIP's raw API. lwIP's callbacks (run by syscalls or the poll timer)
 * fill the socket's ring, queue accepted connections and record errors, then wake the
 * socket's queue; the calls below wait on it. A close with unread data, or SO_LINGER 0,
 * resets the connection (as Linux does). */
#include "net_priv.h"
#include "lwip/priv/tcp_priv.h"

#define ACCEPT_MIN 128     /* a listen backlog below this still queues this many */
#define ACCEPT_MAX 4096    /* SOMAXCONN */
#define WRITE_MAX 0xffff   /* tcp_write takes a u16 length */

static void tcp_callbacks(struct uk_net_sock *s, struct tcp_pcb *pcb);

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct uk_net_sock *s = arg;

	(void)err;
	uk_net_activity();
	if (!p) {
		s->rd_eof = true;
		uk_net_wake(s);
		return ERR_OK;
	}
	if (s->rd_shut) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (!uk_net_ring_reserve(s, p->tot_len))
		return ERR_MEM; /* lwIP keeps it and offers it again */
	for (struct pbuf *q = p; q; q = q->next)
		uk_net_ring_put(s, q->payload, q->len);
	pbuf_free(p);
	uk_net_wake(s);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb, (void)len;
	uk_net_wake(arg);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct uk_net_sock *s = arg;

	s->pcb.tcp = NULL; /* lwIP has freed it */
	if (s->connecting)
		s->err = err == ERR_RST ? ECONNREFUSED : ETIMEDOUT;
	else
		s->err = err == ERR_RST ? ECONNRESET : err == ERR_ABRT ? ECONNABORTED : uk_net_errno(err);
	s->connecting = false;
	s->was_reset = true;
	uk_net_wake(s);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct uk_net_sock *s = arg;

	(void)pcb, (void)err;
	s->connecting = false;
	s->connected = true;
	uk_net_wake(s);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct uk_net_sock *l = arg, *c;

	if (err != ERR_OK || !newpcb || l->acq_len >= l->backlog)
		return ERR_MEM; /* lwIP aborts the new connection */
	if (!(c = uk_net_sock_new(UK_AF_INET, UK_SOCK_STREAM, 0)))
		return ERR_MEM;
	c->pcb.tcp = newpcb;
	c->connected = c->bound = true;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->rcvbuf = l->rcvbuf;
	c->sndbuf = l->sndbuf;
	tcp_callbacks(c, newpcb);
	if (l->nodelay)
		tcp_nagle_disable(newpcb);
	if (l->keepalive)
		ip_set_option(newpcb, SOF_KEEPALIVE);
	if (l->acq_tail)
		l->acq_tail->acq_next = c;
	else
		l->acq_head = c;
	l->acq_tail = c;
	l->acq_len++;
	uk_net_activity();
	uk_net_wake(l);
	return ERR_OK;
}

static void tcp_callbacks(struct uk_net_sock *s, struct tcp_pcb *pcb)
{
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

long uk_net_tcp_open(struct uk_net_sock *s)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);

	if (!pcb)
		return -ENOMEM;
	s->pcb.tcp = pcb;
	tcp_callbacks(s, pcb);
	return 0;
}

long uk_net_tcp_bind(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port)
{
	if (!s->pcb.tcp || s->listening)
		return -EINVAL;
	if (s->bound)
		return -EINVAL;
	if (s->reuse)
		ip_set_option(s->pcb.tcp, SOF_REUSEADDR);
	err_t e = tcp_bind(s->pcb.tcp, ip, port);
	if (e)
		return -uk_net_errno(e);
	s->bound = true;
	return 0;
}

long uk_net_tcp_listen(struct uk_net_sock *s, int backlog)
{
	struct tcp_pcb *lpcb;
	err_t e = ERR_OK;

	s->backlog = backlog < ACCEPT_MIN ? ACCEPT_MIN : backlog > ACCEPT_MAX ? ACCEPT_MAX : backlog;
	if (s->listening)
		return 0;
	if (!s->pcb.tcp || s->connected || s->connecting)
		return -EINVAL;
	if (!s->bound && uk_net_tcp_bind(s, IP4_ADDR_ANY, 0))
		return -EADDRINUSE;
	if (!(lpcb = tcp_listen_with_backlog_and_err(s->pcb.tcp, 255, &e)))
		return -uk_net_errno(e);
	s->pcb.tcp = lpcb;
	s->listening = true;
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, on_accept);
	return 0;
}

long uk_net_tcp_accept(struct uk_net_sock *s, struct uk_net_sock **out, bool nonblock)
{
	if (!s->listening)
		return -EINVAL;
	uk_net_kick();
	while (!s->acq_head) {
		long r = uk_net_wait(s, nonblock, s->rcvtimeo, "a connection to accept");
		if (r)
			return r;
	}
	*out = s->acq_head;
	s->acq_head = (*out)->acq_next;
	if (!s->acq_head)
		s->acq_tail = NULL;
	s->acq_len--;
	(*out)->acq_next = NULL;
	return 0;
}

long uk_net_tcp_connect(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port, bool nonblock)
{
	if (s->listening)
		return -EINVAL;
	if (s->connected)
		return -EISCONN;
	if (!s->connecting) {
		if (!s->pcb.tcp)
			return s->err ? -uk_net_err_take(s) : -ECONNABORTED;
		err_t e = tcp_connect(s->pcb.tcp, ip, port, on_connected);
		if (e)
			return -uk_net_errno(e);
		s->connecting = s->bound = true;
		uk_net_kick();
		if (nonblock)
			return -EINPROGRESS;
	} else if (nonblock) {
		return -EALREADY;
	}
	while (s->connecting) {
		long r = uk_net_wait(s, false, 0, "a connection to be accepted");
		if (r)
			return r == -EAGAIN ? -EINPROGRESS : r;
	}
	return s->connected ? 0 : -uk_net_err_take(s);
}

/* Room for `want` more bytes in lwIP's send buffer and queue (0 if none). */
static size_t send_room(struct tcp_pcb *pcb, size_t want)
{
	size_t room = tcp_sndbuf(pcb);

	if (tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
		return 0;
	room = room < want ? room : want;
	return room < WRITE_MAX ? room : WRITE_MAX;
}

static long broken_pipe(struct uk_net_sock *s, size_t sent, int flags)
{
	if (sent)
		return (long)sent;
	if (s->err)
		return -uk_net_err_take(s);
	if (!(flags & UK_MSG_NOSIGNAL))
		uk_vfs_sigpipe();
	return -EPIPE;
}

long uk_net_tcp_send(struct uk_net_sock *s, const void *buf, size_t len, int flags)
{
	size_t sent = 0;

	if (!s->connected && !s->connecting && !s->was_reset)
		return -ENOTCONN;
	uk_net_kick();
	while (sent < len || !len) {
		if (!s->pcb.tcp || s->wr_shut)
			return broken_pipe(s, sent, flags);
		size_t n = s->connected ? send_room(s->pcb.tcp, len - sent) : 0;
		if (n) {
			err_t e = tcp_write(s->pcb.tcp, (const char *)buf + sent, (u16_t)n, TCP_WRITE_FLAG_COPY);
			if (e == ERR_MEM)
				n = 0;
			else if (e)
				return sent ? (long)sent : -uk_net_errno(e);
			sent += n;
			tcp_output(s->pcb.tcp);
		}
		if (!len || sent == len)
			break;
		if (!n) {
			long r = uk_net_wait(s, flags & UK_MSG_DONTWAIT, s->sndtimeo, "room to send");
			if (r)
				return sent ? (long)sent : r;
		}
	}
	return (long)sent;
}

static void consumed(struct uk_net_sock *s, size_t n)
{
	while (n && s->pcb.tcp) {
		u16_t chunk = n > 0xffff ? 0xffff : (u16_t)n;
		tcp_recved(s->pcb.tcp, chunk);
		n -= chunk;
	}
}

long uk_net_tcp_recv(struct uk_net_sock *s, void *buf, size_t len, int flags)
{
	if (s->listening || (!s->connected && !s->connecting && !s->was_reset))
		return -ENOTCONN;
	uk_net_kick();
	while (!s->len) {
		if (s->err)
			return -uk_net_err_take(s);
		if (s->rd_eof || s->rd_shut || !s->pcb.tcp || !len)
			return 0;
		long r = uk_net_wait(s, flags & UK_MSG_DONTWAIT, s->rcvtimeo, "data to receive");
		if (r)
			return r;
	}
	size_t n = uk_net_ring_get(s, buf, len, flags & UK_MSG_PEEK);
	if (!(flags & UK_MSG_PEEK))
		consumed(s, n);
	return (long)n;
}

long uk_net_tcp_shutdown(struct uk_net_sock *s, int how)
{
	if (how < 0 || how > 2)
		return -EINVAL;
	if (!s->connected)
		return -ENOTCONN;
	if (how != 1)
		s->rd_shut = true;
	if (how != 0 && !s->wr_shut) {
		s->wr_shut = true;
		if (s->pcb.tcp)
			tcp_shutdown(s->pcb.tcp, 0, 1);
	}
	uk_net_wake(s);
	return 0;
}

static void detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

/* A closed socket's FIN goes out on its own once everything sent before it is acknowledged
 * (QEMU's user network was seen to lose the data of a last segment that carried the FIN). */
#define CLOSE_SHUTDOWN ((void *)1) /* the peer closed first: FIN only (LAST_ACK) */
#define CLOSE_FULL ((void *)2)

static void finish_close(void *how, struct tcp_pcb *pcb)
{
	tcp_sent(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	tcp_arg(pcb, NULL);
	if (how == CLOSE_SHUTDOWN)
		tcp_shutdown(pcb, 0, 1);
	else if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static err_t closing_sent(void *how, struct tcp_pcb *pcb, u16_t len)
{
	(void)len;
	if (!pcb->unsent && !pcb->unacked)
		finish_close(how, pcb);
	return ERR_OK;
}

static err_t closing_poll(void *how, struct tcp_pcb *pcb)
{
	return closing_sent(how, pcb, 0);
}

/* What connections still owe their peers (uk_net_drain): bytes sent and not yet acknowledged,
 * plus one for each FIN a close still has to send. Connections still opening owe nothing. */
size_t uk_net_tcp_owed(void)
{
	size_t owed = 0;

	for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		if (pcb->state < ESTABLISHED)
			continue;
		if (pcb->unsent || pcb->unacked)
			owed += (size_t)(pcb->snd_lbb - pcb->lastack) + 1;
		if (pcb->sent == closing_sent)
			owed++;
	}
	return owed;
}

static void drop(struct uk_net_sock *s, bool reset)
{
	struct tcp_pcb *pcb = s->pcb.tcp;

	s->pcb.tcp = NULL;
	if (!pcb)
		return;
	if (s->listening) {
		tcp_accept(pcb, NULL);
		tcp_arg(pcb, NULL);
		tcp_close(pcb);
		return;
	}
	detach(pcb);
	void *how = s->rd_eof && !s->wr_shut ? CLOSE_SHUTDOWN : CLOSE_FULL;
	if (reset) {
		tcp_abort(pcb);
	} else if (pcb->unsent || pcb->unacked) {
		tcp_arg(pcb, how);
		tcp_sent(pcb, closing_sent);
		tcp_poll(pcb, closing_poll, 2);
		tcp_output(pcb);
	} else {
		finish_close(how, pcb);
	}
}

void uk_net_tcp_close(struct uk_net_sock *s)
{
	while (s->acq_head) { /* connections never accepted are reset */
		struct uk_net_sock *c = s->acq_head;
		s->acq_head = c->acq_next;
		drop(c, true);
		uk_vfs_vnode_put(c->vn);
	}
	drop(s, s->len || s->linger0 || s->connecting);
	uk_net_kick();
}

unsigned uk_net_tcp_poll(struct uk_net_sock *s)
{
	unsigned m = 0;

	if (s->listening)
		return s->acq_head ? UK_POLLIN : 0;
	if (s->connecting)
		return 0;
	if (!s->connected && !s->was_reset)
		return UK_POLLOUT | UK_POLLHUP;
	if (s->len || s->rd_eof || s->rd_shut || s->err || !s->pcb.tcp)
		m |= UK_POLLIN;
	if (!s->pcb.tcp || s->err || (!s->wr_shut && send_room(s->pcb.tcp, TCP_MSS)))
		m |= UK_POLLOUT;
	if (s->err)
		m |= UK_POLLERR;
	if (!s->pcb.tcp || (s->rd_eof && s->wr_shut))
		m |= UK_POLLHUP;
	return m;
}
