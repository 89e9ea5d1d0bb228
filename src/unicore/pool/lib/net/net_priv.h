/* net internals shared by the library's files: the device (netdev.c), the stack's driving
 * (stack.c) and the sockets (sock*.c, sys_socket.c, sockopt.c). */
#ifndef UK_NET_PRIV_H
#define UK_NET_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/wait.h>
#include <uk/vfs.h>
#include <uk/net.h>
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

/* ---- the device (netdev.c) ---- */
long uk_net_dev_init(struct netif *nif); /* 0, or -ENODEV without a virtio-net device */
int uk_net_dev_poll(void);               /* frames received and handed to lwIP */
bool uk_net_dev_tx_idle(void);           /* the device has taken every frame given to it */

/* ---- the stack (stack.c) ---- */

void uk_net_kick(void);    /* run the stack now (device, timers) and poll fast for a while */
void uk_net_activity(void);

/* ---- sockets (sock.c) ---- */
#define UK_NET_RING (256 * 1024) /* a stream's receive buffer at most: lwIP's TCP_WND */
#define UK_NET_RING_MIN 16384    /* what it starts with: it doubles as data waits unread */

struct uk_net_dgram {
	struct uk_net_dgram *next;
	ip_addr_t from;
	uint16_t port;
	size_t len;
	unsigned char data[];
};

struct uk_net_sock {
	int domain, type, proto;
	struct uk_waitq wq;
	struct uk_vnode *vn;
	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
	} pcb;
	int err;                    /* pending error (positive errno): SO_ERROR, the next call */
	bool listening, connecting, connected, rd_eof, rd_shut, wr_shut, was_reset, bound;
	bool reuse, nodelay, keepalive, linger0;
	int rcvbuf, sndbuf;
	/* stream receive ring */
	unsigned char *ring;
	size_t head, len, cap;
	/* listener: connections not yet accepted */
	struct uk_net_sock *acq_head, *acq_tail, *acq_next;
	int acq_len, backlog;
	/* datagram queue */
	struct uk_net_dgram *dq_head, *dq_tail;
	size_t dq_bytes;
	/* AF_UNIX: the other end of a stream (its ring is what we write), or a datagram pair's */
	struct uk_net_sock *peer;
	/* AF_UNIX names (sock_unix.c): ours (a path, or abstract with its leading NUL) and its
	 * socket file, a connected datagram socket's destination, the registry of bound sockets */
	char *uname, *udest;
	size_t unamelen, udestlen;
	struct uk_vnode *unode;
	struct uk_net_sock *unext;
	uint64_t rcvtimeo, sndtimeo; /* ns, 0 = none */
};

struct uk_net_sock *uk_net_sock_new(int domain, int type, int proto);
long uk_net_sock_install(struct uk_net_sock *s, int flags); /* an fd, or -errno */
struct uk_net_sock *uk_net_sock_of(int fd, struct uk_file **file, long *err);
void uk_net_wake(struct uk_net_sock *s);
long uk_net_wait(struct uk_net_sock *s, bool nonblock, uint64_t timeout, const char *what);
size_t uk_net_ring_put(struct uk_net_sock *s, const void *buf, size_t len);
bool uk_net_ring_reserve(struct uk_net_sock *s, size_t more); /* room for `more`, growing the ring */
size_t uk_net_ring_get(struct uk_net_sock *s, void *buf, size_t len, bool peek);
int uk_net_err_take(struct uk_net_sock *s);
int uk_net_errno(err_t e);
long uk_net_ioctl(struct uk_file *f, unsigned long cmd, void *arg); /* sockopt.c */

/* ---- TCP (sock_tcp.c) and UDP (sock_udp.c) ---- */
long uk_net_tcp_open(struct uk_net_sock *s);
long uk_net_tcp_bind(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port);
long uk_net_tcp_listen(struct uk_net_sock *s, int backlog);
long uk_net_tcp_accept(struct uk_net_sock *s, struct uk_net_sock **out, bool nonblock);
long uk_net_tcp_connect(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port, bool nonblock);
long uk_net_tcp_send(struct uk_net_sock *s, const void *buf, size_t len, int flags);
long uk_net_tcp_recv(struct uk_net_sock *s, void *buf, size_t len, int flags);
long uk_net_tcp_shutdown(struct uk_net_sock *s, int how);
void uk_net_tcp_close(struct uk_net_sock *s);
size_t uk_net_tcp_owed(void); /* unacknowledged bytes and unsent FINs of all connections */
unsigned uk_net_tcp_poll(struct uk_net_sock *s);
long uk_net_udp_open(struct uk_net_sock *s);
long uk_net_udp_bind(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port);
long uk_net_udp_connect(struct uk_net_sock *s, const ip_addr_t *ip, uint16_t port);
long uk_net_udp_send(struct uk_net_sock *s, const void *buf, size_t len, const ip_addr_t *ip, uint16_t port);
long uk_net_udp_recv(struct uk_net_sock *s, void *buf, size_t len, int flags, ip_addr_t *from, uint16_t *port,
		     size_t *full);
void uk_net_udp_close(struct uk_net_sock *s);
unsigned uk_net_udp_poll(struct uk_net_sock *s);
/* AF_UNIX names (sock_unix.c) */
long uk_net_unix_bind(struct uk_net_sock *s, const void *uaddr, long len);
long uk_net_unix_listen(struct uk_net_sock *s, int backlog);
long uk_net_unix_connect(struct uk_net_sock *s, const void *uaddr, long len);
long uk_net_unix_sendto(struct uk_net_sock *s, const void *buf, size_t len, const void *to, long tolen);
long uk_net_unix_recvfrom(struct uk_net_sock *s, void *buf, size_t len, int flags, void *from, uint32_t *fromlen,
			  size_t *full);
void uk_net_unix_name_out(void *uaddr, uint32_t *lenp, const char *name, size_t n);
void uk_net_unix_close(struct uk_net_sock *s);
/* AF_UNIX stream pairs (sock.c) */
long uk_net_pair_send(struct uk_net_sock *s, const void *buf, size_t len, int flags);
long uk_net_pair_recv(struct uk_net_sock *s, void *buf, size_t len, int flags);

/* Linux's struct msghdr (sendmsg, recvmsg, and the mmsghdr of sendmmsg/recvmmsg) */
struct msghdr_k {
	void *name;
	uint32_t namelen;
	struct uk_iovec *iov;
	size_t iovlen;
	void *control;
	size_t controllen;
	int flags;
};

/* Linux constants */
#define UK_AF_UNIX 1
#define UK_AF_INET 2
#define UK_AF_INET6 10
#define UK_SOCK_STREAM 1
#define UK_SOCK_DGRAM 2
#define UK_SOCK_NONBLOCK 04000
#define UK_SOCK_CLOEXEC 02000000
#define UK_MSG_PEEK 0x2
#define UK_MSG_TRUNC 0x20
#define UK_MSG_DONTWAIT 0x40
#define UK_MSG_WAITALL 0x100
#define UK_MSG_NOSIGNAL 0x4000
#define EADDRINUSE 98
#define EADDRNOTAVAIL 99
#define ENETUNREACH 101
#define ECONNABORTED 103
#define ECONNRESET 104
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ECONNREFUSED 111
#define EHOSTUNREACH 113
#define EALREADY 114
#define EINPROGRESS 115
#define ENOTSOCK 88
#define EDESTADDRREQ 89
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EOPNOTSUPP 95
#define EAFNOSUPPORT 97
#endif
