/* uk/posix-event.h: event files (posix-event): epoll instances, eventfds and timerfds, all on
 * the file poll hook (struct uk_vfs_ops.poll) that poll/select use, so that any file with a poll
 * operation (pipes, sockets, these) can be watched by all of them. */
#ifndef UK_POSIX_EVENT_H
#define UK_POSIX_EVENT_H
#include <stdint.h>

struct uk_file;
/* vfs's hook: the last reference to f is going; every epoll instance forgets it. */
void uk_posix_event_file_gone(struct uk_file *f);

/* An anonymous file of this library (ops, zeroed private state of `size` bytes in vn->priv)
 * installed as a new fd: the fd or -errno. */
struct uk_vfs_ops;
long uk_posix_event_file_new(const struct uk_vfs_ops *ops, size_t size, int flags, const char *name, void **priv);
/* The private state of fd when it is a file of `ops`, else NULL. */
void *uk_posix_event_file_priv(int fd, const struct uk_vfs_ops *ops);
#endif
