/* devfs: /dev/null, zero, random, urandom, console, tty, stdin, stdout, stderr. */
#ifndef UK_DEVFS_H
#define UK_DEVFS_H

#include <uk/vfs.h>

/* Mounts devfs at /dev (creating the directory). Called by vfs at its lazy init. */
long uk_devfs_init(void);
/* Fill buf with pseudo-random bytes (the generator behind /dev/urandom). */
void uk_devfs_random(void *buf, size_t len);

#endif
