/* nettool: the guest side of the net tests (tests/net), one program with a mode per check.
 *   echo PORT N          TCP echo server (poll, non-blocking), serves N connections at once
 *   udpecho PORT N       UDP echo server for N datagrams (recvmsg / sendto)
 *   sink PORT            receive one connection to its end: byte count and CRC-32 (zlib's)
 *   client HOST PORT N   send N pattern bytes to an echo server, check every byte echoed
 *   refused HOST PORT    a blocking connect to a closed port: the errno's name
 *   nbconnect HOST PORT CLOSED  non-blocking connect + poll to PORT (then one echo), and to CLOSED
 *   loopreset PORT       both ends on 127.0.0.1: resets by SO_LINGER 0 and by closing unread data
 *   mmsg PORT            sendmmsg of three datagrams to 127.0.0.1, recvmmsg (MSG_WAITFORONE) of them
 *   resolv               print /etc/resolv.conf
 *   unix DIR             named AF_UNIX sockets in DIR (stream, datagram, abstract) and datagram pairs
 * Servers print "listening PORT" once they listen. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXC 512

static const char *ename(int e)
{
	switch (e) {
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINPROGRESS: return "EINPROGRESS";
	case EAGAIN: return "EAGAIN";
	case ENOENT: return "ENOENT";
	case EADDRINUSE: return "EADDRINUSE";
	case EPROTOTYPE: return "EPROTOTYPE";
	case 0: return "0";
	default: return strerror(e);
	}
}

static unsigned char pattern(uint64_t i) { return (unsigned char)((i * 2654435761u) >> 13); }

static struct sockaddr_in addr_of(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, host, &a.sin_addr);
	return a;
}

static int listener(int port, int type)
{
	int s = socket(AF_INET, type, 0), one = 1;
	struct sockaddr_in a = addr_of("0.0.0.0", port);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || (type == SOCK_STREAM && listen(s, 128))) {
		perror("listener");
		exit(2);
	}
	printf("listening %d\n", port);
	fflush(stdout);
	return s;
}

/* ---- echo: every connection's bytes back to it, all connections in one poll loop ---- */
struct conn {
	int fd;
	char buf[16384];
	size_t have;
	long total;
	int eof;
};

static int serve_one(struct conn *c)
{
	if (!c->eof && c->have < sizeof(c->buf)) {
		ssize_t n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, MSG_DONTWAIT);
		if (n == 0)
			c->eof = 1;
		else if (n > 0)
			c->have += n, c->total += n;
		else if (errno != EAGAIN)
			return -1;
	}
	if (c->have) {
		ssize_t n = send(c->fd, c->buf, c->have, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			memmove(c->buf, c->buf + n, c->have - n);
			c->have -= n;
		} else if (n < 0 && errno != EAGAIN) {
			return -1;
		}
	}
	return c->eof && !c->have;
}

static int echo(int port, int want)
{
	static struct conn conns[MAXC];
	struct pollfd p[MAXC + 1];
	int l = listener(port, SOCK_STREAM), n = 0, done = 0, one = 1;
	long total = 0;

	fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
	while (done < want) {
		p[0] = (struct pollfd){ l, POLLIN, 0 };
		for (int i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){ conns[i].fd, (conns[i].eof ? 0 : POLLIN) | (conns[i].have ? POLLOUT : 0), 0 };
		if (poll(p, n + 1, -1) < 0)
			return perror("poll"), 1;
		int c;
		while (n < MAXC && (c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
			setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			conns[n++] = (struct conn){ .fd = c };
		}
		for (int i = 0; i < n; i++) {
			int r = serve_one(&conns[i]);
			if (r == 0)
				continue;
			if (r < 0)
				printf("connection error %s\n", ename(errno));
			total += conns[i].total;
			close(conns[i].fd);
			conns[i--] = conns[--n];
			done++;
		}
	}
	printf("served %d bytes %ld\n", done, total);
	return 0;
}

static int udpecho(int port, int want)
{
	int s = listener(port, SOCK_DGRAM);
	char buf[65536];

	for (int i = 0; i < want; i++) {
		struct sockaddr_in from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(s, &m, 0);
		if (n < 0)
			return perror("recvmsg"), 1;
		sendto(s, buf, n, 0, (struct sockaddr *)&from, m.msg_namelen);
	}
	printf("udp echoed %d\n", want);
	return 0;
}

static int sink(int port)
{
	int l = listener(port, SOCK_STREAM), c = accept(l, NULL, NULL);
	static unsigned char buf[65536];
	uint32_t table[256], crc = 0xffffffffu;
	uint64_t total = 0;
	ssize_t n;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
		total += n;
	}
	printf("received %llu crc32 %08x\n", (unsigned long long)total, crc ^ 0xffffffffu);
	return n < 0;
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_in a = addr_of(host, port);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		printf("connect %s\n", ename(errno));
		exit(3);
	}
	return s;
}

/* Send n pattern bytes and check the echo, both at once (poll): neither side's window stalls. */
static int client(const char *host, int port, uint64_t n)
{
	int s = connect_to(host, port);
	static unsigned char out[32768], in[32768];
	uint64_t sent = 0, got = 0;

	fcntl(s, F_SETFL, O_NONBLOCK);
	while (got < n) {
		struct pollfd p = { s, POLLIN | (sent < n ? POLLOUT : 0), 0 };
		poll(&p, 1, -1);
		if (sent < n && (p.revents & POLLOUT)) {
			size_t chunk = n - sent < sizeof(out) ? n - sent : sizeof(out);
			for (size_t i = 0; i < chunk; i++)
				out[i] = pattern(sent + i);
			ssize_t w = send(s, out, chunk, 0);
			if (w > 0 && (sent += w) == n)
				shutdown(s, SHUT_WR);
		}
		ssize_t r = recv(s, in, sizeof(in), 0);
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			if (in[i] != pattern(got + i))
				return printf("mismatch at %llu\n", (unsigned long long)(got + i)), 1;
		if (r > 0)
			got += r;
	}
	printf("echo ok %llu\n", (unsigned long long)got);
	return got != n;
}

static int refused(const char *host, int port)
{
	struct sockaddr_in a = addr_of(host, port);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	printf("connect %s\n", connect(s, (struct sockaddr *)&a, sizeof(a)) ? ename(errno) : "0");
	return 0;
}

static const char *nb_connect(const char *host, int port, int *fd)
{
	struct sockaddr_in a = addr_of(host, port);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = -1;
	socklen_t len = sizeof(err);

	*fd = s;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS)
		return "no EINPROGRESS";
	struct pollfd p = { s, POLLOUT, 0 };
	if (poll(&p, 1, 10000) != 1)
		return "poll timed out";
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	return ename(err);
}

static int nbconnect(const char *host, int port, int closed)
{
	int s, t, avail = -1;
	char buf[6] = { 0 };

	printf("open %s\n", nb_connect(host, port, &s));
	fcntl(s, F_SETFL, 0);
	send(s, "hello", 5, 0);
	struct pollfd p = { s, POLLIN, 0 };
	poll(&p, 1, 10000);
	while (ioctl(s, FIONREAD, &avail) == 0 && avail < 5)
		poll(&p, 1, 100);
	recv(s, buf, 5, MSG_PEEK);
	printf("fionread %d peek %s", avail, buf);
	memset(buf, 0, sizeof(buf));
	recv(s, buf, 5, MSG_WAITALL);
	printf(" read %s\n", buf);
	printf("closed %s\n", nb_connect(host, closed, &t));
	return 0;
}

/* A connected pair on loopback: *server (accepted) and the returned client. */
static int loop_pair(int l, int port, int *server)
{
	struct sockaddr_in a = addr_of("127.0.0.1", port);
	int c = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		return perror("connect"), -1;
	*server = accept(l, NULL, NULL);
	return c;
}

static void after_reset(int c, const char *what)
{
	char buf[16];
	ssize_t n = recv(c, buf, sizeof(buf), 0);
	int e = errno;
	ssize_t m = recv(c, buf, sizeof(buf), 0);
	ssize_t w = send(c, "x", 1, MSG_NOSIGNAL);

	printf("%s: recv %s, then %s, send %s\n", what, n < 0 ? ename(e) : "data", m == 0 ? "EOF" : "other",
	       w < 0 ? ename(errno) : "ok");
	close(c);
}

static int loopreset(int port)
{
	struct linger lg = { 1, 0 };
	int l = socket(AF_INET, SOCK_STREAM, 0), s, c, one = 1;
	struct sockaddr_in a = addr_of("127.0.0.1", port);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4))
		return perror("listen"), 1;
	if ((c = loop_pair(l, port, &s)) < 0)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	usleep(100000);
	after_reset(c, "linger0");
	if ((c = loop_pair(l, port, &s)) < 0)
		return 1;
	send(c, "unread", 6, 0);
	usleep(100000);
	close(s);
	usleep(100000);
	after_reset(c, "unread");
	return 0;
}

/* Three datagrams in one sendmmsg, received by one recvmmsg with room for four. */
static int mmsg(int port)
{
	static const char *out[3] = { "one", "three", "fifteen" };
	struct sockaddr_in a = addr_of("127.0.0.1", port);
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	struct iovec oiov[3], iiov[4];
	struct mmsghdr om[3], im[4];
	char in[4][16];

	if (bind(r, (struct sockaddr *)&a, sizeof(a)))
		return perror("bind"), 1;
	memset(om, 0, sizeof(om));
	memset(im, 0, sizeof(im));
	for (int i = 0; i < 3; i++) {
		oiov[i] = (struct iovec){ (void *)out[i], strlen(out[i]) };
		om[i].msg_hdr = (struct msghdr){ .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &oiov[i], .msg_iovlen = 1 };
	}
	int sent = sendmmsg(s, om, 3, 0);
	printf("sendmmsg %d: %u %u %u\n", sent, om[0].msg_len, om[1].msg_len, om[2].msg_len);
	for (int i = 0; i < 4; i++) {
		iiov[i] = (struct iovec){ in[i], sizeof(in[i]) };
		im[i].msg_hdr = (struct msghdr){ .msg_iov = &iiov[i], .msg_iovlen = 1 };
	}
	int got = recvmmsg(r, im, 4, MSG_WAITFORONE, NULL);
	printf("recvmmsg %d:", got);
	for (int i = 0; i < got; i++)
		printf(" %.*s/%u", (int)im[i].msg_len, in[i], im[i].msg_len);
	int again = recvmmsg(r, im, 4, MSG_DONTWAIT, NULL);
	printf("; then %s\n", again < 0 ? ename(errno) : "data");
	return 0;
}

static int resolv(void)
{
	char buf[512];
	FILE *f = fopen("/etc/resolv.conf", "r");

	if (!f)
		return perror("/etc/resolv.conf"), 1;
	while (fgets(buf, sizeof(buf), f))
		fputs(buf, stdout);
	return 0;
}

/* ---- unix: named AF_UNIX sockets; names are printed relative to DIR ---- */
static const char *unix_dir;

static socklen_t un_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (name[0] == '@') { /* abstract */
		memcpy(a->sun_path + 1, name + 1, strlen(name + 1));
		return offsetof(struct sockaddr_un, sun_path) + strlen(name);
	}
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", unix_dir, name);
	return sizeof(*a);
}

static void print_name(const char *what, struct sockaddr_un *a, socklen_t len)
{
	size_t dl = strlen(unix_dir);
	const char *p = a->sun_path;

	if (len <= offsetof(struct sockaddr_un, sun_path))
		printf(" %s=unnamed", what);
	else if (!p[0])
		printf(" %s=@%.*s", what, (int)(len - offsetof(struct sockaddr_un, sun_path) - 1), p + 1);
	else
		printf(" %s=%s", what, !strncmp(p, unix_dir, dl) ? p + dl + 1 : p);
}

static void names(int fd)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &len);
	print_name("name", &a, len);
	len = sizeof(a);
	if (getpeername(fd, (struct sockaddr *)&a, &len))
		printf(" peer=%s", ename(errno));
	else
		print_name("peer", &a, len);
}

static const char *try_connect(int type, const char *name)
{
	struct sockaddr_un a;
	socklen_t len = un_addr(&a, name);
	int c = socket(AF_UNIX, type, 0), r = connect(c, (struct sockaddr *)&a, len), e = errno;

	close(c);
	return r ? ename(e) : "0";
}

static void unix_stream(const char *name)
{
	struct sockaddr_un a;
	socklen_t len = un_addr(&a, name);
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0), s, l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	struct stat st;
	char buf[16] = "";

	printf("stream %s: bind %d", name, bind(l, (struct sockaddr *)&a, len));
	printf(" again %s", bind(l2, (struct sockaddr *)&a, len) ? ename(errno) : "0");
	if (name[0] != '@')
		printf(" file %s", stat(a.sun_path, &st) ? ename(errno) : S_ISSOCK(st.st_mode) ? "socket" : "other");
	int lr = listen(l, 4);
	printf(" listen %d connect %d", lr, connect(c, (struct sockaddr *)&a, len));
	s = accept(l, NULL, NULL);
	names(c);
	names(s);
	write(c, "ping", 4);
	read(s, buf, sizeof(buf));
	write(s, "pong!", 5);
	memset(buf + 4, 0, 4);
	ssize_t n = read(c, buf, sizeof(buf));
	close(c);
	printf(" got %.*s eof %zd\n", (int)n, buf, read(s, buf, sizeof(buf)));
	close(s);
	close(l);
	close(l2);
	printf("stream %s: after close connect %s\n", name, try_connect(SOCK_STREAM, name));
}

static void unix_dgram(void)
{
	struct sockaddr_un a, b, from;
	socklen_t la = un_addr(&a, "a"), lb = un_addr(&b, "b"), lf = sizeof(from);
	int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM, 0), z = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[32];

	bind(x, (struct sockaddr *)&a, la);
	bind(y, (struct sockaddr *)&b, lb);
	sendto(x, "hello", 5, 0, (struct sockaddr *)&b, lb);
	sendto(z, "anon!!", 6, 0, (struct sockaddr *)&b, lb);
	ssize_t n = recvfrom(y, buf, sizeof(buf), 0, (struct sockaddr *)&from, &lf);
	printf("dgram: %.*s", (int)n, buf);
	print_name("from", &from, lf);
	lf = sizeof(from);
	n = recvfrom(y, buf, sizeof(buf), 0, (struct sockaddr *)&from, &lf);
	printf(" %.*s", (int)n, buf);
	print_name("from", &from, lf);
	printf(" connect %d", connect(x, (struct sockaddr *)&b, lb));
	send(x, "again", 5, 0);
	n = recv(y, buf, sizeof(buf), MSG_DONTWAIT);
	printf(" %.*s", (int)n, buf);
	names(x);
	printf(" empty %s", recv(y, buf, sizeof(buf), MSG_DONTWAIT) < 0 ? ename(errno) : "data");
	printf(" stream-to-dgram %s\n", try_connect(SOCK_STREAM, "b"));
	close(x), close(y), close(z);
}

static int unix_mode(const char *dir)
{
	int sv[2];
	char buf[32];

	unix_dir = dir;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return perror(dir), 1;
	unix_stream("s");
	unix_stream("@uc-abstract");
	printf("missing %s\n", try_connect(SOCK_STREAM, "missing"));
	unix_dgram();
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	send(sv[0], "one", 3, 0);
	send(sv[0], "three", 5, 0);
	ssize_t n1 = recv(sv[1], buf, sizeof(buf), 0), n2 = recv(sv[1], buf + 8, sizeof(buf) - 8, 0);
	printf("dgram pair: %zd %.3s %zd %.5s\n", n1, buf, n2, buf + 8);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "echo") && argc == 4)
		return echo(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(m, "udpecho") && argc == 4)
		return udpecho(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(m, "sink") && argc == 3)
		return sink(atoi(argv[2]));
	if (!strcmp(m, "client") && argc == 5)
		return client(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (!strcmp(m, "refused") && argc == 4)
		return refused(argv[2], atoi(argv[3]));
	if (!strcmp(m, "nbconnect") && argc == 5)
		return nbconnect(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(m, "loopreset") && argc == 3)
		return loopreset(atoi(argv[2]));
	if (!strcmp(m, "mmsg") && argc == 3)
		return mmsg(atoi(argv[2]));
	if (!strcmp(m, "resolv") && argc == 2)
		return resolv();
	if (!strcmp(m, "unix") && argc == 3)
		return unix_mode(argv[2]);
	fprintf(stderr, "usage: nettool echo|udpecho|sink|client|refused|nbconnect|loopreset|mmsg|resolv|unix ...\n");
	return 64;
}
