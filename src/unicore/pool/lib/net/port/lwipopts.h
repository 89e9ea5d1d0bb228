/* lwIP's configuration for unicore's net library (docs/net.md): NO_SYS=1 and the raw API
 * only. The kernel drives the stack itself (one thread of control: syscalls run with
 * interrupts off, and the poll timer runs between them), so lwIP needs no threads, mailboxes
 * or locks. Memory comes from the kernel heap, so the number of connections has no fixed cap. */
#ifndef UK_NET_LWIPOPTS_H
#define UK_NET_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_STATS 0
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define SO_REUSE 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_SINGLE_NETIF 0
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* memory: the kernel heap for everything (mem_malloc and the pools) */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define mem_clib_malloc uk_core_malloc
#define mem_clib_free uk_core_free
#define mem_clib_calloc uk_net_calloc
#define PBUF_POOL_SIZE 256

/* TCP: a 256 KiB window (window scaling) and send buffer, so a transfer is not held back by
 * the round trip through QEMU */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT 32768
#define TCP_OVERSIZE TCP_MSS
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 0
#define MEMP_NUM_TCP_SEG TCP_SND_QUEUELEN
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_MAXRTX 6
#define TCP_SYNMAXRTX 4

#define LWIP_CHKSUM_ALGORITHM 3
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0

/* the hooks lwIP calls, under the library's prefix */
#define sys_now uk_net_sys_now
#define LWIP_RAND() uk_net_rand()

#include <stddef.h>
void *uk_net_calloc(size_t n, size_t size);
void *uk_core_malloc(size_t size); /* uk/core.h's, which lwIP's sources do not include */
void uk_core_free(void *p);
unsigned uk_net_rand(void);
#endif
