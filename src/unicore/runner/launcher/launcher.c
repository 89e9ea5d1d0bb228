/* unicore-launch: the common case of `unicore run` without a Python process in the tree.
 *
 * runner/launch.py writes a launch record (the exact VMM argv, computed once by the Python
 * runner from the image and the host) and `unicore run` execs this program with it, so the
 * only processes left are this supervisor and the VMM. It keeps the Python runner's contract
 * (docs/run.md): the program's stdout and stderr on ours, the kernel console on our stderr,
 * stdin streamed once the guest asks for it, the exit status of the control channel, 124 after
 * --timeout, 125 without a status, SIGINT/SIGTERM/SIGHUP forwarded (exit 128+signal), and the
 * VMM dies with us (parent-death signal armed after the identity change, own process group).
 *
 * usage: unicore-launch --mode qemu|spt [--timeout S] [--identity UID:GID[:G,G...]]
 *                       [--copy IMAGE] [--normal RC,RC] -- ARGV...
 * The VMM's fds: qemu: 0 /dev/null, 1 our stderr (COM1), 2 a pipe (QEMU's own messages),
 * 3 the console channel, 4 COM2; spt: 0-2 ours, 3 the kernel pipe, 4 the control pipe.
 * An argv element "@IMAGE@" becomes the image copy (--copy, for an unprivileged VMM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 18)          /* stdin bytes per frame, as console.py */
#define CTL_LIMIT 4096           /* control bytes kept: `exit N` is one short line */
#define KEEP_LIMIT 65536         /* VMM messages / spt kernel bytes kept for an error line */
#define EXIT_TIMEOUT 124
#define EXIT_NO_STATUS 125
#define GUEST_CON 3
#define GUEST_CTL 4

struct opts {
	int spt, copy_uid_set, ngroups;
	double timeout;
	uid_t uid;
	gid_t gid, groups[16];
	const char *copy, *normal;
	char **argv;
};

struct buf { char *data; size_t len, cap, limit; };

static volatile sig_atomic_t stop_signal;
static char run_dir[4096], run_image[4200];

static void on_signal(int sig) { stop_signal = sig; }

static void die(const char *msg)
{
	fprintf(stderr, "unicore: %s: %s\n", msg, strerror(errno));
	exit(EXIT_NO_STATUS);
}

static void keep(struct buf *b, const char *data, size_t n)
{
	if (b->len + n > b->limit)
		n = b->limit > b->len ? b->limit - b->len : 0;
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			die("out of memory");
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = 0;
}

static void write_all(int fd, const char *data, size_t n)
{
	while (n) {
		ssize_t w = write(fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* our reader went away: the guest runs on, as it would natively */
		data += w;
		n -= (size_t)w;
	}
}

static void parse_identity(struct opts *o, char *spec)
{
	char *at = spec;
	o->uid = (uid_t)strtoul(at, &at, 10);
	o->gid = *at == ':' ? (gid_t)strtoul(at + 1, &at, 10) : o->uid;
	while (*at == ':' || *at == ',') {
		if (o->ngroups < 16)
			o->groups[o->ngroups++] = (gid_t)strtoul(at + 1, &at, 10);
		else
			at++;
	}
	o->copy_uid_set = 1;
}

static void parse(struct opts *o, int argc, char **argv)
{
	int i = 1;
	for (; i + 1 < argc && strcmp(argv[i], "--"); i += 2) {
		if (!strcmp(argv[i], "--mode"))
			o->spt = !strcmp(argv[i + 1], "spt");
		else if (!strcmp(argv[i], "--timeout"))
			o->timeout = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--identity"))
			parse_identity(o, argv[i + 1]);
		else if (!strcmp(argv[i], "--copy"))
			o->copy = argv[i + 1];
		else if (!strcmp(argv[i], "--normal"))
			o->normal = argv[i + 1];
		else
			break;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "unicore-launch: usage: --mode qemu|spt [options] -- ARGV...\n");
		exit(2);
	}
	o->argv = argv + i + 1;
}

/* A private directory holding a copy of the image the VMM's identity can read (confine.py),
 * watched by a forked cleaner in its own session: when we die before removing it, the
 * cleaner removes it and kills the VMM's group. Returns the pipe the cleaner watches. */
static int make_run_dir(const struct opts *o, int *cleaner_pid)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(run_dir, sizeof run_dir, "%s/unicore-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(run_dir))
		die("cannot create the run directory");
	snprintf(run_image, sizeof run_image, "%s/image", run_dir);
	int in = open(o->copy, O_RDONLY | O_CLOEXEC), out = open(run_image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct stat st;
	if (in < 0 || out < 0 || fstat(in, &st) < 0)
		die("cannot copy the image");
	for (off_t off = 0; off < st.st_size;)
		if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0)
			die("cannot copy the image");
	close(in);
	close(out);
	if (chown(run_dir, o->uid, o->gid) < 0 || chown(run_image, o->uid, o->gid) < 0)
		die("cannot hand the run directory to QEMU's identity");
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	*cleaner_pid = fork();
	if (*cleaner_pid == 0) {
		setsid();
		close(p[1]);
		int pid = 0;
		char state = 0;
		if (read(p[0], &pid, sizeof pid) == sizeof pid && read(p[0], &state, 1) == 1 && state == 'd')
			_exit(0);
		if (pid > 0)
			kill(-pid, SIGKILL);
		unlink(run_image);
		rmdir(run_dir);
		_exit(0);
	}
	close(p[0]);
	return p[1];
}

static void remove_run_dir(int watch, int cleaner_pid)
{
	if (!run_dir[0])
		return;
	unlink(run_image);
	rmdir(run_dir);
	write_all(watch, "d", 1);
	close(watch);
	waitpid(cleaner_pid, NULL, 0);
}

static void drop_identity(const struct opts *o)
{
	if (!o->copy_uid_set)
		return;
	if (setgroups((size_t)o->ngroups, o->groups) < 0 || setresgid(o->gid, o->gid, o->gid) < 0 ||
	    setresuid(o->uid, o->uid, o->uid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("unicore-launch: cannot drop to QEMU's identity");
		_exit(EXIT_NO_STATUS);
	}
}

/* The VMM, in its own process group, killed when we die (armed after the identity change,
 * which would clear it; checked against a parent that died before it was armed). */
static pid_t spawn(const struct opts *o, const int fds[5], const sigset_t *mask)
{
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		die("cannot start the VMM");
	if (pid)
		return pid;
	setpgid(0, 0);
	drop_identity(o);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(EXIT_NO_STATUS);
	int moved[5];
	for (int i = 0; i < 5; i++)
		moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
	for (int i = 0; i < 5; i++)
		if (moved[i] < 0 || dup2(moved[i], i) < 0)
			_exit(EXIT_NO_STATUS);
	close_range(5, ~0U, 0);
	signal(SIGPIPE, SIG_DFL); /* as subprocess restores them: Python ignores both */
	signal(SIGXFSZ, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execv(o->argv[0], o->argv);
	fprintf(stderr, "unicore-launch: cannot run %s: %s\n", o->argv[0], strerror(errno));
	_exit(EXIT_NO_STATUS);
}

/* ---- the console channel (console.py): frames `u32 length, u32 fd` both ways ---- */

struct demux { unsigned char header[8]; size_t have; uint32_t left, fd; int wants_stdin; struct buf *ctl; };

static void deliver(struct demux *d, const char *data, size_t n)
{
	if (d->fd == 1)
		write_all(1, data, n);
	else if (d->fd == 4)
		keep(d->ctl, data, n);
	else if (d->fd != 3) /* 3: terminal settings; the fast path lends no terminal */
		write_all(2, data, n);
}

static void feed(struct demux *d, const char *data, size_t n)
{
	while (n) {
		if (d->left) {
			size_t take = n < d->left ? n : d->left;
			deliver(d, data, take);
			d->left -= (uint32_t)take, data += take, n -= take;
			continue;
		}
		size_t take = 8 - d->have < n ? 8 - d->have : n;
		memcpy(d->header + d->have, data, take);
		d->have += take, data += take, n -= take;
		if (d->have < 8)
			continue;
		d->have = 0;
		d->left = (uint32_t)d->header[0] | d->header[1] << 8 | d->header[2] << 16 | (uint32_t)d->header[3] << 24;
		d->fd = (uint32_t)d->header[4] | d->header[5] << 8 | d->header[6] << 16 | (uint32_t)d->header[7] << 24;
		if (d->fd == 0 && !d->left)
			d->wants_stdin = 1;
	}
}

/* stdin frames waiting for room on the console socket */
struct outq { char *data; size_t at, len; int eof_sent, dead; };

static void queue_stdin(struct outq *q)
{
	static char frame[8 + CHUNK];
	ssize_t n = read(0, frame + 8, CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0)
		n = 0; /* no usable stdin: end of file, as for a closed one */
	uint32_t len = (uint32_t)n;
	memcpy(frame, &len, 4);
	memset(frame + 4, 0, 4);
	q->data = frame, q->at = 0, q->len = 8 + (size_t)n;
	q->eof_sent = n == 0;
}

static void send_queued(struct outq *q, int con)
{
	ssize_t w = send(con, q->data + q->at, q->len - q->at, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w > 0)
		q->at += (size_t)w;
	else if (w < 0 && errno != EAGAIN && errno != EINTR)
		q->dead = 1; /* the guest ended with stdin unread */
	if (q->at == q->len)
		q->len = q->at = 0;
}

/* ---- supervision ---- */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct stream { int fd; struct buf *keep; int to; };

/* What the pump watches: the VMM's streams, the console channel and, once asked for, stdin. */
struct pump {
	struct stream *s;
	int n, con, stdin_done, want_stdin;
	struct demux *d;
	struct outq q;
	struct pollfd p[8];
	int np;
};

static char chunk[1 << 16];

/* The poll set for this turn; 0 when every stream has ended (the VMM exited). */
static int poll_set(struct pump *pm)
{
	int live = 0;
	pm->np = 0;
	for (int i = 0; i < pm->n; i++) {
		pm->p[pm->np++] = (struct pollfd){pm->s[i].fd, POLLIN, 0};
		live += pm->s[i].fd >= 0;
	}
	short out = pm->q.len && !pm->q.dead ? POLLOUT : 0;
	pm->p[pm->np++] = (struct pollfd){pm->con, (short)(POLLIN | out), 0};
	live += pm->con >= 0;
	pm->want_stdin = pm->d && pm->d->wants_stdin && !pm->stdin_done && !pm->q.len;
	pm->p[pm->np++] = (struct pollfd){pm->want_stdin ? 0 : -1, POLLIN, 0};
	return live;
}

static void drain_streams(struct pump *pm)
{
	for (int i = 0; i < pm->n; i++) {
		struct stream *st = &pm->s[i];
		if (st->fd < 0 || !pm->p[i].revents)
			continue;
		ssize_t got = read(st->fd, chunk, sizeof chunk);
		if (got > 0 && st->to >= 0)
			write_all(st->to, chunk, (size_t)got);
		if (got > 0 && st->keep)
			keep(st->keep, chunk, (size_t)got);
		if (got == 0 || (got < 0 && errno != EINTR))
			close(st->fd), st->fd = -1;
	}
}

/* The console channel both ways, then more stdin once the last frame has gone. */
static void serve_console(struct pump *pm)
{
	short ev = pm->con >= 0 ? pm->p[pm->n].revents : 0;
	if (ev & POLLOUT)
		send_queued(&pm->q, pm->con);
	if (ev & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t got = recv(pm->con, chunk, sizeof chunk, MSG_DONTWAIT);
		if (got > 0)
			feed(pm->d, chunk, (size_t)got);
		else if (got == 0 || (errno != EINTR && errno != EAGAIN))
			close(pm->con), pm->con = -1;
	}
	if (pm->want_stdin && pm->p[pm->np - 1].revents) {
		queue_stdin(&pm->q);
		pm->stdin_done = pm->q.eof_sent;
	}
	if (pm->q.dead)
		pm->stdin_done = 1, pm->q.len = 0;
}

/* Pump until every stream ended (the VMM exited: 0), the deadline passed (1) or a forwarded
 * signal arrived (2). Forwarded signals are let in only while waiting (ppoll's mask). */
static int pump(struct pump *pm, double deadline, const sigset_t *open_mask)
{
	while (poll_set(pm)) {
		struct timespec t, *tp = NULL;
		if (deadline > 0) {
			double left = deadline - now();
			if (left <= 0)
				return 1;
			t.tv_sec = (time_t)left, t.tv_nsec = (long)((left - (double)t.tv_sec) * 1e9), tp = &t;
		}
		int r = ppoll(pm->p, (nfds_t)pm->np, tp, open_mask);
		if (stop_signal)
			return 2;
		if (r < 0 && errno != EINTR)
			die("poll");
		if (r > 0)
			drain_streams(pm), serve_console(pm);
	}
	return 0;
}

/* (status, signal) from the control lines: the first exact `exit N` or `crash SIG` (run.py). */
static int control_status(const char *ctl, int *sig)
{
	*sig = 0;
	for (const char *line = ctl; line && *line;) {
		const char *end = strchr(line, '\n');
		char word[64] = {0};
		size_t len = end ? (size_t)(end - line) : strlen(line);
		while (len && strchr(" \t\r\v\f", *line))
			line++, len--;
		while (len && strchr(" \t\r\v\f", line[len - 1]))
			len--;
		if (len < sizeof word)
			memcpy(word, line, len);
		char *value = strchr(word, ' ');
		if (value) {
			*value++ = 0;
			int digits = *value != 0;
			for (char *c = value; *c; c++)
				digits &= *c >= '0' && *c <= '9';
			long v = digits && strlen(value) < 6 ? strtol(value, NULL, 10) : -1;
			if (!strcmp(word, "exit") && v >= 0 && v <= 255)
				return (int)v;
			if (!strcmp(word, "crash") && v >= 1 && v <= 64)
				return *sig = (int)v, 128 + (int)v;
		}
		line = end ? end + 1 : NULL;
	}
	return -1;
}

static int exit_code(int wstatus) { return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -WTERMSIG(wstatus); }

static void stop_vmm(pid_t pid, int sig)
{
	kill(pid, sig);
	for (int i = 0; i < 500; i++) { /* 5 s grace, as lifetime.stop */
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const char *squeezed(struct buf *b)
{
	static char out[KEEP_LIMIT + 1];
	size_t n = 0;
	for (size_t i = 0; b->data && i < b->len; i++) {
		int space = strchr(" \t\n\r\v\f", b->data[i]) != NULL;
		if (!space)
			out[n++] = b->data[i];
		else if (n && out[n - 1] != ' ')
			out[n++] = ' ';
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = 0;
	return n ? out : "no message";
}

static int normal_exit(const char *normal, int rc)
{
	char list[64];
	snprintf(list, sizeof list, "%s", normal ? normal : "1,3");
	for (char *v, *rest = list; (v = strtok_r(rest, ",", &rest));)
		if (atoi(v) == rc)
			return 1;
	return 0;
}

/* The exit status and its one line, exactly as commands/run.py gives them. */
static int verdict(const struct opts *o, int rc, struct buf *ctl, struct buf *vmm)
{
	int sig, status = control_status(ctl->data ? ctl->data : "", &sig);
	if (status < 0 && o->spt && rc < 0)
		status = 128 - rc, sig = -rc;
	if (status < 0 && o->spt && rc == EXIT_NO_STATUS && !ctl->len) {
		fprintf(stderr, "unicore: the spt tender could not run the image: %s\n", squeezed(vmm));
		return EXIT_NO_STATUS;
	}
	if (status < 0 && !o->spt && (strcmp(squeezed(vmm), "no message") || !normal_exit(o->normal, rc))) {
		fprintf(stderr, "unicore: QEMU could not run the image (exit %d): %s\n", rc, squeezed(vmm));
		return EXIT_NO_STATUS;
	}
	if (status < 0) {
		fprintf(stderr, "unicore: guest stopped without reporting an exit status (exit %d)\n", EXIT_NO_STATUS);
		return EXIT_NO_STATUS;
	}
	if (sig)
		fprintf(stderr, "unicore: guest crashed (signal %d, exit %d)\n", sig, status);
	return status;
}

static void stream_fds(const struct opts *o, int guest[5], int host[3], int *con)
{
	int p[3][2], sp[2][2];
	for (int i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0)
			die("pipe");
	*con = -1;
	if (o->spt) { /* the tender's stdio are ours; its kernel and control fds pipes */
		int g[5] = {0, 1, 2, p[0][1], p[1][1]};
		memcpy(guest, g, sizeof g);
		host[0] = p[0][0], host[1] = p[1][0], host[2] = -1;
		close(p[2][0]), close(p[2][1]);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp[0]) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp[1]) < 0)
		die("socketpair");
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int g[5] = {devnull, 2, p[2][1], sp[0][1], sp[1][1]};
	memcpy(guest, g, sizeof g);
	host[0] = -1, host[1] = sp[1][0], host[2] = p[2][0];
	*con = sp[0][0];
	close(p[0][0]), close(p[0][1]), close(p[1][0]), close(p[1][1]);
}

/* Forwarded signals set stop_signal; they stay blocked except while the pump waits. */
static void catch_forwarded(sigset_t *open_mask)
{
	sigset_t forwarded;
	sigemptyset(&forwarded);
	sigaddset(&forwarded, SIGINT), sigaddset(&forwarded, SIGTERM), sigaddset(&forwarded, SIGHUP);
	sigprocmask(SIG_BLOCK, &forwarded, open_mask);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL), sigaction(SIGTERM, &sa, NULL), sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Reap the VMM as the pump ended (0 exited, 1 deadline, 2 signal); its wait status. */
static int reap(pid_t pid, int why)
{
	int wstatus = 0;
	if (why == 1)
		kill(pid, SIGKILL), waitpid(pid, NULL, 0);
	else if (why == 2)
		stop_vmm(pid, stop_signal);
	else
		waitpid(pid, &wstatus, 0);
	return wstatus;
}

static int stopped_early(const struct opts *o, int why)
{
	if (why == 2) {
		const char *name = stop_signal == SIGINT ? "SIGINT" : stop_signal == SIGHUP ? "SIGHUP" : "SIGTERM";
		fprintf(stderr, "unicore: stopped by %s: guest stopped (exit %d)\n", name, 128 + stop_signal);
		return 128 + stop_signal;
	}
	fprintf(stderr, "unicore: guest did not finish within %g s: stopped (exit %d)\n", o->timeout, EXIT_TIMEOUT);
	return EXIT_TIMEOUT;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	for (int fd = 0; fd < 3; fd++) /* a closed stdin, stdout or stderr reads as /dev/null */
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die("cannot open /dev/null");
	parse(&o, argc, argv);
	int watch = -1, cleaner = 0;
	if (o.copy) {
		watch = make_run_dir(&o, &cleaner);
		for (char **a = o.argv; *a; a++)
			if (!strcmp(*a, "@IMAGE@"))
				*a = run_image;
	}
	sigset_t open_mask;
	catch_forwarded(&open_mask);
	int guest[5], host[3], con;
	stream_fds(&o, guest, host, &con);
	double start = now();
	pid_t pid = spawn(&o, guest, &open_mask);
	if (watch >= 0)
		write_all(watch, (char *)&pid, sizeof pid);
	for (int i = 0; i < 5; i++)
		if (guest[i] > 2)
			close(guest[i]);
	struct buf ctl = {.limit = CTL_LIMIT}, vmm = {.limit = KEEP_LIMIT};
	struct demux d = {.ctl = &ctl};
	struct stream s[3] = {{host[0], &vmm, o.spt ? 2 : -1}, {host[1], &ctl, -1}, {host[2], &vmm, -1}};
	struct pump pm = {.s = s, .n = 3, .con = con, .d = o.spt ? NULL : &d};
	int why = pump(&pm, o.timeout > 0 ? start + o.timeout : 0, &open_mask);
	int wstatus = reap(pid, why);
	remove_run_dir(watch, cleaner);
	return why ? stopped_early(&o, why) : verdict(&o, exit_code(wstatus), &ctl, &vmm);
}
