/* net: the virtio-net driver and lwIP's network interface on it. Queue 0 receives, queue 1
 * transmits; each descriptor owns one 2 KiB buffer (a header and a 1514-byte frame: no
 * offloads, no merged buffers, lwIP checksums in software). Polled (uk_net_dev_poll from the
 * stack's timer and from socket calls): the virtio library has no interrupts. */
#include <uk/arch.h>
#include <uk/virtio.h>
#include <uk/plat.h>
#include "net_priv.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#define F_MAC (1ULL << 5)
#define BUF 2048
#define QSIZE 256
#define RXQ 0
#define TXQ 1
#define TX_SPIN 100000000UL

static struct uk_virtio_dev dev;
static struct uk_virtq qs[2];
static unsigned char *rxbuf, *txbuf;
static uint16_t tx_free[QSIZE], tx_nfree;
static unsigned hdr_len;

static void rx_post(uint16_t id)
{
	qs[RXQ].desc[id] = (struct uk_virtq_desc){ (uintptr_t)(rxbuf + (size_t)id * BUF), BUF, UK_VIRTQ_DESC_WRITE, 0 };
	uk_virtio_q_post(&qs[RXQ], id);
}

static void tx_reclaim(void)
{
	uint32_t len;
	int id;

	while ((id = uk_virtio_q_take(&qs[TXQ], &len)) >= 0)
		tx_free[tx_nfree++] = (uint16_t)id;
}

static int tx_slot(void)
{
	for (unsigned long spins = 0; !tx_nfree; spins++) {
		if (spins > TX_SPIN)
			return -1;
		uk_arch_pause();
		tx_reclaim();
	}
	return tx_free[--tx_nfree];
}

static err_t link_output(struct netif *nif, struct pbuf *p)
{
	int id;
	unsigned char *buf;

	(void)nif;
	tx_reclaim();
	if (p->tot_len > BUF - hdr_len || (id = tx_slot()) < 0)
		return ERR_IF;
	buf = txbuf + (size_t)id * BUF;
	memset(buf, 0, hdr_len);
	pbuf_copy_partial(p, buf + hdr_len, p->tot_len, 0);
	qs[TXQ].desc[id] = (struct uk_virtq_desc){ (uintptr_t)buf, hdr_len + p->tot_len, 0, 0 };
	uk_virtio_q_post(&qs[TXQ], (uint16_t)id);
	uk_virtio_notify(&dev, TXQ);
	return ERR_OK;
}

bool uk_net_dev_tx_idle(void)
{
	if (!txbuf)
		return true;
	tx_reclaim();
	return tx_nfree == qs[TXQ].num;
}

/* Hand each received frame to lwIP and give its buffer back to the device. */
int uk_net_dev_poll(void)
{
	static struct netif *nif_in;
	uint32_t len;
	int id, n = 0;

	if (!rxbuf)
		return 0;
	if (!nif_in)
		nif_in = netif_default;
	while ((id = uk_virtio_q_take(&qs[RXQ], &len)) >= 0) {
		struct pbuf *p = len > hdr_len ? pbuf_alloc(PBUF_RAW, (u16_t)(len - hdr_len), PBUF_POOL) : NULL;
		if (p) {
			pbuf_take(p, rxbuf + (size_t)id * BUF + hdr_len, (u16_t)(len - hdr_len));
			if (nif_in->input(p, nif_in) != ERR_OK)
				pbuf_free(p);
		}
		rx_post((uint16_t)id);
		n++;
	}
	if (n) {
		uk_virtio_notify(&dev, RXQ);
		uk_virtio_ack(&dev);
	}
	tx_reclaim();
	return n;
}

static err_t nif_setup(struct netif *nif)
{
	for (int i = 0; i < 6; i++)
		nif->hwaddr[i] = dev.features & F_MAC ? uk_virtio_cfg8(&dev, (unsigned)i) : (uint8_t)(i ? 0x10 * i : 2);
	nif->hwaddr_len = 6;
	nif->mtu = 1500;
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	nif->output = etharp_output;
	nif->linkoutput = link_output;
	return ERR_OK;
}

static long buffers(void)
{
	rxbuf = uk_core_page_alloc((size_t)qs[RXQ].num * BUF / UK_PAGE_SIZE);
	txbuf = uk_core_page_alloc((size_t)qs[TXQ].num * BUF / UK_PAGE_SIZE);
	if (!rxbuf || !txbuf)
		return -ENOMEM;
	for (uint16_t i = 0; i < qs[RXQ].num; i++)
		rx_post(i);
	for (uint16_t i = 0; i < qs[TXQ].num; i++)
		tx_free[tx_nfree++] = i;
	uk_virtio_notify(&dev, RXQ);
	return 0;
}

/* Find the first virtio-net device, start it and register it with lwIP (addresses: stack.c). */
long uk_net_dev_init(struct netif *nif)
{
	long err;

	if (uk_virtio_find(UK_VIRTIO_ID_NET, &dev, 1) < 1)
		return -ENODEV;
	if ((err = uk_virtio_start_queues(&dev, F_MAC, qs, 3, QSIZE)) || (err = buffers()))
		return err;
	hdr_len = dev.version >= 2 ? 12 : 10;
	if (!netif_add(nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, nif_setup, ethernet_input))
		return -ENODEV;
	return 0;
}
