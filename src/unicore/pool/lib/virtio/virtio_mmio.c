/* virtio-mmio transport: probing, feature negotiation, split virtqueues, polled requests.
 * Register offsets are those of the virtio 1.x spec, section 4.2.2 (legacy: 4.2.4). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/virtio.h>

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* legacy */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c /* legacy */
#define R_QUEUE_PFN 0x040   /* legacy */
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_AVAIL 0x090
#define R_QUEUE_USED 0x0a0
#define R_CONFIG 0x100

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_FAILED 0x80

#define F_VERSION_1 (1ULL << 32)
#define DESC_NEXT 1
#define DESC_WRITE 2
#define PAGE 4096
#define SPIN_LIMIT 2000000000UL

static uint32_t rd(struct uk_virtio_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static void wr(struct uk_virtio_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static void wr64(struct uk_virtio_dev *d, unsigned off, uint64_t v)
{
	wr(d, off, (uint32_t)v);
	wr(d, off + 4, (uint32_t)(v >> 32));
}

uint8_t uk_virtio_cfg8(struct uk_virtio_dev *d, unsigned off)
{
	return d->base[R_CONFIG + off];
}

/* The transports come from the platform (uk_plat_devices), in its order. */
int uk_virtio_find(uint32_t devid, struct uk_virtio_dev *devs, int max)
{
	struct uk_plat_device found[UK_VIRTIO_MAX_TRANSPORTS];
	int nfound = uk_plat_devices(found, UK_VIRTIO_MAX_TRANSPORTS), n = 0;

	for (int i = 0; i < nfound && n < max; i++) {
		struct uk_virtio_dev d = { 0 };

		if (found[i].kind != UK_PLAT_DEV_VIRTIO_MMIO)
			continue;
		d.base = (volatile uint8_t *)found[i].base;
		if (rd(&d, R_MAGIC) != UK_VIRTIO_MAGIC || rd(&d, R_DEVICE_ID) != devid)
			continue;
		d.version = rd(&d, R_VERSION);
		d.devid = devid;
		devs[n++] = d;
	}
	return n;
}

static uint64_t dev_features(struct uk_virtio_dev *d)
{
	uint64_t f;

	wr(d, R_DEV_FEATURES_SEL, 1);
	f = (uint64_t)rd(d, R_DEV_FEATURES) << 32;
	wr(d, R_DEV_FEATURES_SEL, 0);
	return f | rd(d, R_DEV_FEATURES);
}

static void set_features(struct uk_virtio_dev *d, uint64_t f)
{
	wr(d, R_DRV_FEATURES_SEL, 1);
	wr(d, R_DRV_FEATURES, (uint32_t)(f >> 32));
	wr(d, R_DRV_FEATURES_SEL, 0);
	wr(d, R_DRV_FEATURES, (uint32_t)f);
}

/* Split-ring layout in one zeroed, page-aligned block: descriptors, avail ring, then the used
 * ring on the next page boundary (the legacy layout, which modern devices accept too). */
static long queue_alloc(struct uk_virtq *q, uint16_t num, size_t *bytes)
{
	size_t avail_off = 16u * num, used_off = UK_ALIGN_UP(avail_off + 6 + 2u * num, PAGE);
	size_t total = UK_ALIGN_UP(used_off + 6 + 8u * num, PAGE);
	uint8_t *mem = uk_core_page_alloc(total / PAGE);

	if (!mem)
		return -ENOMEM;
	memset(mem, 0, total);
	q->num = num;
	q->desc = (struct uk_virtq_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + avail_off);
	q->used = mem + used_off;
	q->last_used = 0;
	*bytes = total;
	return 0;
}

static long queue_setup(struct uk_virtio_dev *d, unsigned index, struct uk_virtq *q, uint16_t qsize)
{
	uint32_t max;
	size_t bytes;
	long err;

	wr(d, R_QUEUE_SEL, index);
	max = rd(d, R_QUEUE_NUM_MAX);
	if (!max)
		return -ENODEV;
	while (qsize > max)
		qsize >>= 1;
	err = queue_alloc(q, qsize, &bytes);
	if (err)
		return err;
	wr(d, R_QUEUE_NUM, qsize);
	if (d->version == 1) {
		wr(d, R_QUEUE_ALIGN, PAGE);
		wr(d, R_QUEUE_PFN, (uint32_t)((uintptr_t)q->desc / PAGE));
		return 0;
	}
	wr64(d, R_QUEUE_DESC, (uintptr_t)q->desc);
	wr64(d, R_QUEUE_AVAIL, (uintptr_t)q->avail);
	wr64(d, R_QUEUE_USED, (uintptr_t)q->used);
	wr(d, R_QUEUE_READY, 1);
	return 0;
}

long uk_virtio_start(struct uk_virtio_dev *d, uint64_t want, uint16_t qsize)
{
	return uk_virtio_start_queues(d, want, &d->vq, 1, qsize);
}

long uk_virtio_start_queues(struct uk_virtio_dev *d, uint64_t want, struct uk_virtq *qs, uint32_t which,
			    uint16_t qsize)
{
	long err;

	wr(d, R_STATUS, 0);
	wr(d, R_STATUS, S_ACK);
	wr(d, R_STATUS, S_ACK | S_DRIVER);
	if (d->version >= 2)
		want |= F_VERSION_1;
	d->features = dev_features(d) & want;
	set_features(d, d->features);
	if (d->version >= 2) {
		wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
		if (!(rd(d, R_STATUS) & S_FEATURES_OK))
			goto fail;
	} else {
		wr(d, R_GUEST_PAGE_SIZE, PAGE);
	}
	for (unsigned i = 0; i < 32; i++) {
		err = which & (1u << i) ? queue_setup(d, i, &qs[i], qsize) : 0;
		if (err)
			goto fail;
	}
	wr(d, R_STATUS, rd(d, R_STATUS) | S_DRIVER_OK);
	return 0;
fail:
	wr(d, R_STATUS, S_FAILED);
	return -ENODEV;
}

static uint16_t used_idx(struct uk_virtq *q)
{
	return *(volatile uint16_t *)(q->used + 2);
}

void uk_virtio_q_post(struct uk_virtq *q, uint16_t head)
{
	uint16_t aidx = q->avail[1];

	q->avail[2 + aidx % q->num] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the entry before the index the device reads */
	q->avail[1] = (uint16_t)(aidx + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void uk_virtio_notify(struct uk_virtio_dev *d, unsigned index)
{
	wr(d, R_QUEUE_NOTIFY, index);
}

int uk_virtio_q_take(struct uk_virtq *q, uint32_t *len)
{
	volatile uint32_t *elem;

	if (used_idx(q) == q->last_used)
		return -1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the element after the index that published it */
	elem = (volatile uint32_t *)(q->used + 4 + 8 * (q->last_used % q->num));
	q->last_used++;
	*len = elem[1];
	return (int)elem[0];
}

void uk_virtio_ack(struct uk_virtio_dev *d)
{
	wr(d, R_INT_ACK, rd(d, R_INT_STATUS));
}

long uk_virtio_xfer(struct uk_virtio_dev *d, const struct uk_virtio_buf *bufs, int nout, int nin)
{
	struct uk_virtq *q = &d->vq;
	int i, n = nout + nin;
	unsigned long spins = 0;
	uint32_t len;

	if (n < 1 || n > q->num)
		return -EINVAL;
	for (i = 0; i < n; i++) { /* one request at a time: the chain always starts at 0 */
		q->desc[i].addr = (uintptr_t)bufs[i].addr;
		q->desc[i].len = bufs[i].len;
		q->desc[i].flags = (uint16_t)((i + 1 < n ? DESC_NEXT : 0) | (i >= nout ? DESC_WRITE : 0));
		q->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	uk_virtio_q_post(q, 0);
	uk_virtio_notify(d, 0);
	while (uk_virtio_q_take(q, &len) < 0) {
		if (++spins > SPIN_LIMIT)
			return -EIO;
		uk_arch_pause();
	}
	uk_virtio_ack(d);
	return (long)len;
}
