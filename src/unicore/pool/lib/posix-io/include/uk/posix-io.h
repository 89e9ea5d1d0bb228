/* uk/posix-io.h: the standard streams (fds 0-2 over the platform console, uk_plat_console_read
 * and uk_plat_console_write: each its own stream on the host, stdin streamed). */
#ifndef UK_POSIX_IO_H
#define UK_POSIX_IO_H
#include <stddef.h>
struct uk_iovec { void *base; size_t len; };
#endif
