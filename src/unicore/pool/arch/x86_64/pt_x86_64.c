/* Page tables (x86_64): 4 KiB mappings in the program's part of the address space above the
 * 4 GiB identity map, and the page-fault entry. The tables of one address space hang off one
 * root (a PML4: today the boot one, CR3); the memory library keeps the mapping list and the
 * policy (what a fault means), this file only edits entries. Intermediate tables come zeroed
 * from the page allocator. A leaf keeps its physical address when access is revoked (PROT_NONE:
 * present bit clear), so "resident" and "accessible" are separate, as mincore needs. */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk/x86_64.h>

#define PTE_P 0x1UL
#define PTE_W 0x2UL
#define PTE_PS 0x80UL
#define PTE_ADDR 0x000ffffffffff000UL

int (*uk_arch_page_fault)(uintptr_t addr, unsigned long error);

uintptr_t uk_arch_pt_root(void)
{
	uintptr_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	return cr3 & PTE_ADDR;
}

static unsigned idx(uintptr_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

static uint64_t leaf_bits(int prot)
{
	if (!(prot & (UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC)))
		return 0;
	return PTE_P | ((prot & UK_PROT_WRITE) ? PTE_W : 0);
}

/* The leaf entry of va; with `create`, missing tables are made (NULL when out of pages). */
static uint64_t *leaf(uintptr_t root, uintptr_t va, int create)
{
	uint64_t *t = (uint64_t *)root;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & PTE_P)) {
			uint64_t *n = create ? uk_core_page_alloc(1) : NULL;
			if (!n)
				return NULL;
			memset(n, 0, UK_PAGE_SIZE);
			*e = (uint64_t)n | PTE_P | PTE_W;
		}
		if (*e & PTE_PS)
			return NULL; /* the identity map's large pages are not ours to edit */
		t = (uint64_t *)(*e & PTE_ADDR);
	}
	return &t[idx(va, 0)];
}

int uk_arch_pt_map(uintptr_t root, uintptr_t va, uintptr_t pa, int prot)
{
	uint64_t *e = leaf(root, va, 1);

	if (!e)
		return -1;
	*e = (pa & PTE_ADDR) | leaf_bits(prot);
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return 0;
}

uintptr_t uk_arch_pt_lookup(uintptr_t root, uintptr_t va)
{
	uint64_t *e = leaf(root, va, 0);

	return e ? (uintptr_t)(*e & PTE_ADDR) : 0;
}

/* Visit the resident leaves in [lo, hi), skipping absent tables whole (a 1 GiB reservation with
 * 8 MiB touched costs a few hundred steps). fn may rewrite the entry; the TLB is flushed. */
void uk_arch_pt_walk(uintptr_t root, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg)
{
	uintptr_t va = lo;

	while (va < hi) {
		uint64_t *t = (uint64_t *)root;
		int level = 3;
		for (; level > 0; level--) {
			uint64_t e = t[idx(va, level)];
			if (!(e & PTE_P) || (e & PTE_PS))
				break;
			t = (uint64_t *)(e & PTE_ADDR);
		}
		uintptr_t span = 1UL << (12 + 9 * level), next = (va & ~(span - 1)) + span;
		if (level == 0 && (t[idx(va, 0)] & PTE_ADDR)) {
			fn(va, &t[idx(va, 0)], arg);
			__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
		}
		if (next <= va)
			break; /* wrapped past the top */
		va = next;
	}
}

uint64_t uk_arch_pt_entry(uintptr_t pa, int prot) { return (pa & PTE_ADDR) | leaf_bits(prot); }
uintptr_t uk_arch_pt_entry_addr(uint64_t e) { return (uintptr_t)(e & PTE_ADDR); }

/* Called from the trap entry for vector 14: 1 when the memory library resolved the fault and the
 * instruction may run again. */
int uk_arch_page_fault_resolve(unsigned long error)
{
	uintptr_t addr = uk_arch_x86_64_fault_addr();

	return uk_arch_page_fault && uk_arch_page_fault(addr, error);
}

/* The address of the last page fault (CR2). */
uintptr_t uk_arch_x86_64_fault_addr(void)
{
	uintptr_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	return cr2;
}

/* Supervisor writes honour read-only entries (CR0.WP): the program runs at CPL0 too. */
void uk_arch_pt_init(void)
{
	uint64_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | (1UL << 16)));
}
