/* uk/posix-io.h: the standard streams. uk_posix_io_stdin_read applies the host framing
 * (0xFF 0x00 = end of file, 0xFF 0xFF = a literal 0xFF; docs/design.md). */
#ifndef UK_POSIX_IO_H
#define UK_POSIX_IO_H
#include <stddef.h>
long uk_posix_io_stdin_read(char *buf, size_t len);
struct uk_iovec { void *base; size_t len; };
#endif
