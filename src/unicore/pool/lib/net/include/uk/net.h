/* uk/net.h: networking (net library): a virtio-net device, lwIP and the socket syscalls.
 * Sockets are files of the vfs fd table (read, write, close, fcntl, ioctl FIONBIO/FIONREAD)
 * and answer the vfs poll hook, so poll, select and epoll see them. docs/net.md. */
#ifndef UK_NET_H
#define UK_NET_H

/* The interface's IPv4 settings, from the kernel tokens net.ip=A.B.C.D/PREFIX, net.gw=,
 * net.dns= (docs/run.md); returns 0 once the stack is up, -ENODEV without a device. */
long uk_net_init(void);

/* At the program's end (uk_core_exit): run the stack until every connection's sent data and FIN
 * are acknowledged and the device has taken every frame, for a few seconds at most. */
void uk_net_drain(void);

#endif
