/* Page allocator (core): one bit per 4 KiB page over a single RAM range. Allocation takes the
 * highest free run, so the pages right after the program (its brk area) stay free longest.
 * Invariant: every page at or above top_hint is in use. Whole words are skipped at once.
 * Pure logic: unit-tested on the host with sanitizers. */
#include <uk/core.h>

#define PAGE 4096UL

size_t uk_core_pa_bitmap_words(size_t npages) { return (npages + 63) / 64; }

static bool used(const struct uk_palloc *pa, size_t i) { return pa->bits[i / 64] >> (i % 64) & 1; }

static void set_range(struct uk_palloc *pa, size_t first, size_t n, bool value)
{
	for (size_t i = first; i < first + n; i++) {
		uint64_t bit = 1ULL << (i % 64);
		bool was = pa->bits[i / 64] & bit;
		if (was == value)
			continue;
		pa->bits[i / 64] ^= bit;
		pa->nfree += value ? (size_t)-1 : 1;
	}
}

void uk_core_pa_init(struct uk_palloc *pa, uintptr_t base, size_t npages, uint64_t *bits)
{
	size_t words = uk_core_pa_bitmap_words(npages);

	pa->base = base;
	pa->npages = npages;
	pa->nfree = npages;
	pa->bits = bits;
	pa->top_hint = npages;
	for (size_t w = 0; w < words; w++)
		bits[w] = 0;
	if (npages % 64) /* pages past the end are never free */
		bits[words - 1] = ~0ULL << (npages % 64);
}

void *uk_core_pa_alloc(struct uk_palloc *pa, size_t n)
{
	size_t run = 0, i = pa->top_hint;

	if (!n || n > pa->nfree)
		return NULL;
	while (i > 0) {
		uint64_t word = pa->bits[(i - 1) / 64];
		if (i % 64 == 0 && (word == ~0ULL || word == 0)) { /* a whole word at once */
			run = word ? 0 : run + 64;
			i -= 64;
		} else {
			i--;
			run = used(pa, i) ? 0 : run + 1;
		}
		if (run >= n) {
			size_t first = i + run - n;
			set_range(pa, first, n, true);
			if (i + run == pa->top_hint) /* the run reached the top: all above is used */
				pa->top_hint = first;
			return (void *)(pa->base + first * PAGE);
		}
	}
	return NULL;
}

static bool in_range(const struct uk_palloc *pa, uintptr_t addr, size_t n, size_t *first)
{
	if (addr < pa->base || (addr - pa->base) % PAGE)
		return false;
	*first = (addr - pa->base) / PAGE;
	return *first <= pa->npages && n <= pa->npages - *first;
}

void uk_core_pa_free(struct uk_palloc *pa, void *addr, size_t n)
{
	size_t first;

	if (!in_range(pa, (uintptr_t)addr, n, &first))
		return;
	set_range(pa, first, n, false);
	if (first + n > pa->top_hint)
		pa->top_hint = first + n;
}

int uk_core_pa_reserve(struct uk_palloc *pa, uintptr_t addr, size_t n)
{
	size_t first;

	if (!in_range(pa, addr, n, &first))
		return -1;
	bool all_free = uk_core_pa_is_free(pa, addr, n);
	set_range(pa, first, n, true);
	return all_free ? 0 : -1;
}

bool uk_core_pa_is_free(const struct uk_palloc *pa, uintptr_t addr, size_t n)
{
	size_t first;

	if (!in_range(pa, addr, n, &first))
		return false;
	for (size_t i = first; i < first + n; i++)
		if (used(pa, i))
			return false;
	return true;
}
