/* virtio: virtio-mmio transport (legacy v1 and modern v2 register layouts) with split
 * virtqueues, driven by polling (no interrupts). Memory is identity-mapped, so a
 * buffer's address is its physical address. */
#ifndef UK_VIRTIO_H
#define UK_VIRTIO_H

#include <stddef.h>
#include <stdint.h>

#define UK_VIRTIO_MAX_TRANSPORTS 32 /* asked of the platform (uk_plat_devices) */
#define UK_VIRTIO_MAGIC 0x74726976 /* "virt" */
#define UK_VIRTIO_ID_NET 1
#define UK_VIRTIO_ID_BLOCK 2
#define UK_VIRTIO_ID_CONSOLE 3
#define UK_VIRTQ_DESC_NEXT 1
#define UK_VIRTQ_DESC_WRITE 2 /* the device writes this buffer */
#define UK_VIRTIO_ID_9P 9

struct uk_virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct uk_virtq {
	uint16_t num;
	uint16_t last_used;
	struct uk_virtq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[num] */
	volatile uint8_t *used;   /* flags, idx, ring[num] of {id, len} */
};

struct uk_virtio_dev {
	volatile uint8_t *base;
	uint32_t version; /* 1 legacy, 2 modern */
	uint32_t devid;
	uint64_t features;
	struct uk_virtq vq;
};

/* A buffer of a request: `out` buffers are read by the device, then `in` ones written. */
struct uk_virtio_buf {
	void *addr;
	uint32_t len;
};

/* Fill `devs` with up to `max` devices of type `devid` found on the platform's virtio-mmio
 * transports (uk_plat_devices); returns how many. */
int uk_virtio_find(uint32_t devid, struct uk_virtio_dev *devs, int max);
/* Reset, negotiate `want` (VERSION_1 is added for modern devices), set up queue 0 with up
 * to `qsize` entries, and set DRIVER_OK. Returns 0 or -errno. */
long uk_virtio_start(struct uk_virtio_dev *d, uint64_t want, uint16_t qsize);
/* Submit nout + nin buffers as one chain, notify, and poll until the device is done.
 * Returns the number of bytes the device wrote, or -EIO. */
long uk_virtio_xfer(struct uk_virtio_dev *d, const struct uk_virtio_buf *bufs, int nout, int nin);
/* The same with the queues whose bits are set in `which` set up in qs[queue index] (the
 * device's own `vq` is then unused; queues left out stay off). */
long uk_virtio_start_queues(struct uk_virtio_dev *d, uint64_t want, struct uk_virtq *qs, uint32_t which,
			    uint16_t qsize);
/* Asynchronous use of a queue whose descriptors the caller fills (q->desc[0..num-1]):
 * offer the chain starting at `head`, tell the device about queue `index`, and take the next
 * chain the device is done with (its head, and in *len the bytes it wrote; -1 if none yet). */
void uk_virtio_q_post(struct uk_virtq *q, uint16_t head);
void uk_virtio_notify(struct uk_virtio_dev *d, unsigned index);
int uk_virtio_q_take(struct uk_virtq *q, uint32_t *len);
void uk_virtio_ack(struct uk_virtio_dev *d); /* clear the interrupt status (we poll) */
/* Byte `off` of the device-specific configuration space. */
uint8_t uk_virtio_cfg8(struct uk_virtio_dev *d, unsigned off);

#endif
