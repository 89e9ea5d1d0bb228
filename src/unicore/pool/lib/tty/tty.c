/* tty: the console as the user's terminal. When `unicore run`'s own stdin is a terminal it says
 * so on the kernel command line, `tty=FDS:ROWSxCOLS` (FDS: which of streams 0-2 are terminals on
 * the host, then the window size). The console's files then answer the terminal ioctls as a
 * Linux tty does, so isatty() holds and interactive programs prompt; a tcsetattr is also sent to
 * the host (a console frame on stream UK_TTY_SETTINGS, the kernel's 36-byte struct termios),
 * whose runner applies it to the user's terminal: the line discipline (echo, line editing, raw
 * mode for readline) is the host terminal's, as for a program over ssh. Without the token no
 * stream is a terminal (ENOTTY), as for the pipes the runner connects otherwise. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/tty.h>

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCXONC 0x540A
#define TCFLSH 0x540B
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCGSID 0x5429

struct tty_termios { /* the kernel's struct termios (TCGETS), not libc's larger one */
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};

struct tty_winsize {
	uint16_t rows, cols, xpixel, ypixel;
};

/* A fresh Linux pty's settings (`stty sane`, UTF-8): ICRNL IXON IUTF8; OPOST ONLCR; B38400 CS8
 * CREAD; ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN; ^C ^\ DEL ^U ^D, VMIN 1. */
static struct tty_termios settings = {
	0x4500, 0x5, 0xbf, 0x8a3b, 0,
	{ 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0 },
};
static struct tty_winsize winsize = { 24, 80, 0, 0 };
static int terminal_fds = -1; /* bit per stream; -1 until the boot token is read */

static const char *number(const char *s, uint16_t *out)
{
	unsigned v = 0;

	while (*s >= '0' && *s <= '9' && v < 10000)
		v = v * 10 + (unsigned)(*s++ - '0');
	if (v)
		*out = (uint16_t)v;
	return s;
}

/* "012:24x80" -> streams 0, 1, 2 and the size; a malformed size keeps 24x80. */
static void parse_token(const char *s)
{
	terminal_fds = 0;
	for (; *s >= '0' && *s <= '2'; s++)
		terminal_fds |= 1 << (*s - '0');
	if (*s++ != ':')
		return;
	s = number(s, &winsize.rows);
	if (*s++ == 'x')
		number(s, &winsize.cols);
}

static int is_terminal(int stream)
{
	if (terminal_fds < 0) {
		const char *token = uk_core_boot_param("tty");

		terminal_fds = 0;
		if (token)
			parse_token(token);
	}
	if (stream == UK_TTY_ANY)
		return terminal_fds != 0;
	return stream >= 0 && stream <= 2 && (terminal_fds >> stream & 1);
}

static long set_settings(const struct tty_termios *t)
{
	settings = *t;
	uk_plat_console_write(UK_TTY_SETTINGS, &settings, sizeof(settings));
	return 0;
}

long uk_tty_ioctl(int stream, unsigned long req, void *arg)
{
	if (!is_terminal(stream))
		return -ENOTTY;
	if (!arg && req != TCXONC && req != TCFLSH)
		return -EFAULT;
	switch (req) {
	case TCGETS: *(struct tty_termios *)arg = settings; return 0;
	case TCSETS: case TCSETSW: case TCSETSF: return set_settings(arg);
	case TIOCGWINSZ: *(struct tty_winsize *)arg = winsize; return 0;
	case TIOCSWINSZ: winsize = *(const struct tty_winsize *)arg; return 0;
	case TIOCGPGRP: case TIOCGSID: *(int *)arg = 1; return 0; /* the one process, pid 1 */
	case TIOCSPGRP: case TCXONC: case TCFLSH: return 0;
	default: return -ENOTTY; /* as Linux answers an ioctl a tty does not know */
	}
}
