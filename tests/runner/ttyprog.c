/* ttyprog: what a program sees of its terminal (tests/runner/test_tty.py). Prints whether each
 * standard stream is a terminal and the window size; on a terminal it then switches stdin to raw
 * mode (no echo, no line buffering), reads one key, restores the settings and names the key. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	struct winsize ws;
	struct termios saved, raw;
	char key = '?';
	int fd = open("/dev/tty", O_RDWR); /* a file system call: the image has vfs, as real programs do */

	printf("isatty %d %d %d /dev/tty %d\n", isatty(0), isatty(1), isatty(2), fd >= 0 && isatty(fd));
	if (!isatty(0))
		return 0;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0)
		printf("window %dx%d\n", ws.ws_row, ws.ws_col);
	tcgetattr(0, &saved);
	printf("canonical %d echo %d\n", !!(saved.c_lflag & ICANON), !!(saved.c_lflag & ECHO));
	raw = saved;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	tcsetattr(0, TCSANOW, &raw);
	printf("raw\n");
	fflush(stdout);
	if (read(0, &key, 1) != 1)
		key = '?';
	tcsetattr(0, TCSANOW, &saved);
	printf("key %c\n", key);
	return 0;
}
