/* The mapping list of an address space (posix-mm): sorted, non-overlapping VMAs in a singly
 * linked list, with the resident-page counters /proc/self/status and getrusage report. Every
 * change goes through split_at, so an operation on [lo, hi) only ever sees whole VMAs. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/posix-mm.h>
#include <uk/proc.h>

/* With processes, pages may be shared copy-on-write between address spaces (lib/proc). */
UK_OPTIONAL(uk_proc_page_put);
UK_OPTIONAL(uk_proc_page_shared);

#define MMAP_TOP 0x7f0000000000UL /* demand maps are placed top-down from here, as Linux does */

struct uk_memory_space uk_memory_current;

static size_t pages(uintptr_t lo, uintptr_t hi) { return (hi - lo) / UK_PAGE_SIZE; }

void uk_memory_count(struct uk_memory_space *s, long delta)
{
	s->rss_pages += (size_t)delta;
	if (s->rss_pages > s->hiwater_pages)
		s->hiwater_pages = s->rss_pages;
}

struct uk_memory_vma *uk_memory_find(struct uk_memory_space *s, uintptr_t addr)
{
	for (struct uk_memory_vma *v = s->vmas; v && v->lo <= addr; v = v->next)
		if (addr < v->hi)
			return v;
	return NULL;
}

/* No VMA straddles addr afterwards. -1 when out of kernel memory. */
static int split_at(struct uk_memory_space *s, uintptr_t addr)
{
	struct uk_memory_vma *v = uk_memory_find(s, addr), *n;

	if (!v || v->lo == addr)
		return 0;
	if (!(n = uk_core_malloc(sizeof(*n))))
		return -1;
	*n = *v;
	n->lo = addr;
	n->off = v->off + (addr - v->lo);
	v->hi = addr;
	v->next = n;
	return 0;
}

void uk_memory_page_put(uintptr_t pa)
{
	if (uk_proc_page_put)
		uk_proc_page_put(pa);
	else
		uk_core_page_free((void *)pa, 1);
}

static void free_page_cb(uintptr_t va, uint64_t *e, void *arg)
{
	(void)va;
	uk_memory_page_put(uk_arch_pt_entry_addr(*e));
	*e = 0;
	uk_memory_count(arg, -1);
}

void uk_memory_drop_pages(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi)
{
	if (lo < UK_ARCH_IDENTITY_TOP && s->root == uk_arch_pt_boot())
		lo = UK_ARCH_IDENTITY_TOP; /* only a process's own root maps low pages one by one */
	if (lo < hi)
		uk_arch_pt_walk(s->root, lo, hi, free_page_cb, s);
}

void uk_memory_remove(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi)
{
	struct uk_memory_vma **pp = &s->vmas;

	split_at(s, lo);
	split_at(s, hi);
	while (*pp) {
		struct uk_memory_vma *v = *pp;
		if (v->lo >= lo && v->hi <= hi) {
			if (v->flags & UK_MEMORY_DEMAND)
				uk_memory_drop_pages(s, v->lo, v->hi);
			else
				uk_memory_count(s, -(long)pages(v->lo, v->hi));
			*pp = v->next;
			uk_core_free(v);
		} else {
			pp = &v->next;
		}
	}
}

int uk_memory_insert(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi, int prot, int flags, const char *name, uint64_t off)
{
	struct uk_memory_vma *n = uk_core_zalloc(sizeof(*n)), **pp = &s->vmas;

	if (!n)
		return -ENOMEM;
	uk_memory_remove(s, lo, hi);
	*n = (struct uk_memory_vma){ NULL, lo, hi, prot, flags, off, "" };
	if (name)
		uk_core_strncpy_z(n->name, name, sizeof(n->name));
	while (*pp && (*pp)->lo < lo)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
	if (!(flags & UK_MEMORY_DEMAND))
		uk_memory_count(s, (long)pages(lo, hi));
	return 0;
}

int uk_memory_covered(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi)
{
	while (lo < hi) {
		struct uk_memory_vma *v = uk_memory_find(s, lo);
		if (!v)
			return 0;
		lo = v->hi;
	}
	return 1;
}

static void protect_cb(uintptr_t va, uint64_t *e, void *arg)
{
	int prot = *(int *)arg;
	uintptr_t pa = uk_arch_pt_entry_addr(*e);

	(void)va;
	if ((prot & UK_PROT_WRITE) && !(prot & UK_MEMORY_SHARED << 8) && uk_proc_page_shared && uk_proc_page_shared(pa))
		prot &= ~UK_PROT_WRITE; /* still shared copy-on-write: the first write copies it */
	*e = uk_arch_pt_entry(pa, prot & 7);
}

int uk_memory_protect(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi, int prot)
{
	if (!uk_memory_covered(s, lo, hi))
		return -ENOMEM;
	if (split_at(s, lo) || split_at(s, hi))
		return -ENOMEM;
	for (struct uk_memory_vma *v = uk_memory_find(s, lo); v && v->lo < hi; v = v->next) {
		int how = prot | ((v->flags & UK_MEMORY_SHARED) << 8);
		v->prot = prot;
		if (v->flags & UK_MEMORY_DEMAND)
			uk_arch_pt_walk(s->root, v->lo, v->hi, protect_cb, &how);
	}
	return 0;
}

uintptr_t uk_memory_gap(struct uk_memory_space *s, size_t len)
{
	uintptr_t best = 0, from = UK_ARCH_IDENTITY_TOP;

	for (struct uk_memory_vma *v = s->vmas;; v = v->next) {
		uintptr_t to = v && v->lo < MMAP_TOP ? v->lo : MMAP_TOP;
		if (to > from && to - from >= len)
			best = to - len;
		if (!v || v->lo >= MMAP_TOP)
			return best;
		if (v->hi > from)
			from = v->hi;
	}
}

uintptr_t uk_memory_stack_map(size_t len)
{
	struct uk_memory_space *s = &uk_memory_current;
	uintptr_t guard = uk_memory_gap(s, len + UK_PAGE_SIZE);

	if (!guard || uk_memory_insert(s, guard + UK_PAGE_SIZE, guard + UK_PAGE_SIZE + len, UK_PROT_READ | UK_PROT_WRITE,
				       UK_MEMORY_DEMAND | UK_MEMORY_STACK, NULL, 0))
		return 0;
	return guard + UK_PAGE_SIZE;
}

static void resident_cb(uintptr_t va, uint64_t *e, void *arg)
{
	unsigned char **base = arg; /* base[0]: vec, base[1]: the address vec[0] describes */

	(void)e;
	base[0][(va - (uintptr_t)base[1]) / UK_PAGE_SIZE] = 1;
}

int uk_memory_resident(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi, unsigned char *vec)
{
	if (!uk_memory_covered(s, lo, hi))
		return -ENOMEM;
	for (uintptr_t a = lo; a < hi;) {
		struct uk_memory_vma *v = uk_memory_find(s, a);
		uintptr_t end = v->hi < hi ? v->hi : hi;
		memset(vec + pages(lo, a), (v->flags & UK_MEMORY_DEMAND) ? 0 : 1, pages(a, end));
		if (v->flags & UK_MEMORY_DEMAND) {
			unsigned char *arg[2] = { vec, (unsigned char *)lo };
			uk_arch_pt_walk(s->root, a, end, resident_cb, arg);
		}
		a = end;
	}
	return 0;
}

void uk_memory_record(uintptr_t lo, uintptr_t hi, int prot, int flags, const char *name)
{
	uk_memory_insert(&uk_memory_current, UK_ALIGN_DOWN(lo, UK_PAGE_SIZE), UK_ALIGN_UP(hi, UK_PAGE_SIZE), prot, flags, name, 0);
}

/* For getrusage (posix-procinfo, through weak references). */
size_t uk_memory_hiwater_kib(void) { return uk_memory_current.hiwater_pages * (UK_PAGE_SIZE / 1024); }
size_t uk_memory_faults(void) { return uk_memory_current.faults; }
