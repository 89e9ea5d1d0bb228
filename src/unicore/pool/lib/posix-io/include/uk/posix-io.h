/* uk/posix-io.h: the standard streams. uk_stdin_read: bytes of stdin that have arrived (waiting
 * for one if `wait`, else -EAGAIN), 0 at end of file (the platform's console, docs/design.md). */
#ifndef UK_POSIX_IO_H
#define UK_POSIX_IO_H
#include <stdbool.h>
#include <stddef.h>
long uk_stdin_read(char *buf, size_t len, bool wait);
struct uk_iovec { void *base; size_t len; };
#endif
