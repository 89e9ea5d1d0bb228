/* uk/tty.h: the console as a terminal (lib/tty). The console's file layers (posix-io, vfs,
 * devfs) pass their terminal ioctls here with the host stream the file stands for. */
#ifndef UK_TTY_H
#define UK_TTY_H

#define UK_TTY_ANY (-1)     /* /dev/tty: the terminal, whichever stream it is */
#define UK_TTY_SETTINGS 3   /* console stream carrying a struct termios to the host's terminal */

/* The ioctl `req` with argument `arg` on console stream 0-2 (or UK_TTY_ANY): a Linux terminal's
 * answer when the runner said that stream is a terminal, else -ENOTTY. */
long uk_tty_ioctl(int stream, unsigned long req, void *arg);

#endif
