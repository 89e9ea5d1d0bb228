/* Kernel heap (core): blocks of 16 << k bytes (k = 0..8) on per-class free lists, carved
 * from page chunks; larger blocks take whole pages. A 16-byte header before each block
 * records its class (or page count) and a magic to catch bad frees.
 * Pure logic over a page source: unit-tested on the host with sanitizers. */
#include <uk/core.h>

#define HDR 16
#define MAGIC 0x756b6870u /* "ukhp" */
#define NCLASS 9
#define LARGE 0xffu

struct hdr {
	uint32_t magic;
	uint32_t cls;    /* size class, or LARGE */
	uint64_t npages; /* LARGE only */
};

void uk_core_heap_init(struct uk_heap *h, void *(*pages)(size_t), void (*free_pages)(void *, size_t), size_t chunk_pages)
{
	memset(h, 0, sizeof(*h));
	h->pages = pages;
	h->free_pages = free_pages;
	h->chunk_pages = chunk_pages ? chunk_pages : 1;
}

static void *alloc_large(struct uk_heap *h, size_t size)
{
	size_t npages = (size + HDR + 4095) / 4096;
	struct hdr *b = h->pages(npages);

	if (!b)
		return NULL;
	*b = (struct hdr){ MAGIC, LARGE, npages };
	return (char *)b + HDR;
}

void *uk_core_heap_alloc(struct uk_heap *h, size_t size)
{
	unsigned cls = 0;

	while (cls < NCLASS && (16UL << cls) < size + HDR)
		cls++;
	if (cls == NCLASS)
		return alloc_large(h, size);
	size_t bsize = 16UL << cls;
	struct hdr *b = h->free[cls];
	if (b) {
		h->free[cls] = *(void **)((char *)b + HDR);
	} else {
		if ((size_t)(h->end - h->cur) < bsize) { /* the rest of the chunk is abandoned */
			uint8_t *chunk = h->pages(h->chunk_pages);
			if (!chunk)
				return NULL;
			h->cur = chunk;
			h->end = chunk + h->chunk_pages * 4096;
		}
		b = (struct hdr *)h->cur;
		h->cur += bsize;
	}
	*b = (struct hdr){ MAGIC, cls, 0 };
	return (char *)b + HDR;
}

static struct hdr *header(const void *p)
{
	struct hdr *b = (struct hdr *)((char *)p - HDR);

	if (b->magic != MAGIC || (b->cls >= NCLASS && b->cls != LARGE))
		uk_core_panic("uk_core_free: bad pointer %p", p);
	return b;
}

void uk_core_heap_free(struct uk_heap *h, void *p)
{
	if (!p)
		return;
	struct hdr *b = header(p);
	if (b->cls == LARGE) {
		b->magic = 0;
		h->free_pages(b, b->npages);
		return;
	}
	b->magic = 0;
	*(void **)p = h->free[b->cls];
	h->free[b->cls] = b;
}

size_t uk_core_heap_usable(const void *p)
{
	struct hdr *b = header(p);
	return b->cls == LARGE ? b->npages * 4096 - HDR : (16UL << b->cls) - HDR;
}

#ifndef UK_HOST_TEST
static struct uk_heap kheap;

void *uk_core_malloc(size_t size)
{
	if (!kheap.pages)
		uk_core_heap_init(&kheap, uk_core_page_alloc, uk_core_page_free, UK_CORE_HEAP_CHUNK_KB / 4);
	return uk_core_heap_alloc(&kheap, size);
}

void *uk_core_zalloc(size_t size)
{
	void *p = uk_core_malloc(size);
	return p ? memset(p, 0, size) : NULL;
}

void uk_core_free(void *p) { uk_core_heap_free(&kheap, p); }
#endif
