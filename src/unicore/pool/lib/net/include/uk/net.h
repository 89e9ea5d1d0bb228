/* uk/net.h: networking (net library): a virtio-net device, lwIP and the socket syscalls.
 * Sockets are files of the vfs fd table (read, write, close, fcntl, ioctl FIONBIO/FIONREAD)
 * and answer the vfs poll hook, so poll, select and epoll see them. docs/net.md. */
#ifndef UK_NET_H
#define UK_NET_H

/* The interface's IPv4 settings, from the kernel tokens net.ip=A.B.C.D/PREFIX, net.gw=,
 * net.dns= (docs/run.md); returns 0 once the stack is up, -ENODEV without a device. */
long uk_net_init(void);

#endif
