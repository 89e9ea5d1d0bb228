/* Page tables (x86_64): 4 KiB mappings in the program's part of the address space above the
 * 4 GiB identity map, and the page-fault entry. The tables of one address space hang off one
 * root (a PML4: today the boot one, CR3); the memory library keeps the mapping list and the
 * policy (what a fault means), this file only edits entries. Intermediate tables come zeroed
 * from the page allocator, and go back to it when a walk leaves them empty (munmap). A leaf keeps
 * its physical address when access is revoked (PROT_NONE: present bit clear), so "resident" and
 * "accessible" are separate, as mincore needs. Below 4 GiB a map call on the identity map's
 * 2 MiB pages first splits the one it falls in into 4 KiB pages (mprotect there, guard pages). */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk/x86_64.h>

#define PTE_P 0x1UL
#define PTE_W 0x2UL
#define PTE_PS 0x80UL
#define PTE_ADDR 0x000ffffffffff000UL
#define PTE_OWN 0x200UL /* software bit: the table this entry points to belongs to this root alone */
#define LOW_GIB (UK_ARCH_IDENTITY_TOP >> 30)

int (*uk_arch_page_fault)(uintptr_t addr, unsigned long error);

uintptr_t uk_arch_pt_root(void)
{
	uintptr_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	return cr3 & PTE_ADDR;
}

static unsigned idx(uintptr_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

static void flush_all(void)
{
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

/* A 2 MiB page of the identity map as a table of 512 4 KiB pages, same addresses and rights. */
static int split_large(uint64_t *pde)
{
	uint64_t *pt = uk_core_page_alloc(1), base = *pde & PTE_ADDR & ~0x1fffffUL;

	if (!pt)
		return -1;
	for (int i = 0; i < 512; i++)
		pt[i] = (base + (uint64_t)i * UK_PAGE_SIZE) | (*pde & (PTE_P | PTE_W));
	*pde = (uint64_t)pt | PTE_P | PTE_W;
	flush_all(); /* drop the large TLB entry */
	return 0;
}

static uint64_t leaf_bits(int prot)
{
	if (!(prot & (UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC)))
		return 0;
	return PTE_P | ((prot & UK_PROT_WRITE) ? PTE_W : 0);
}

static uintptr_t boot_root;

static uint64_t *table_copy(const uint64_t *from)
{
	uint64_t *n = uk_core_page_alloc(1);

	if (n)
		uk_arch_copy(n, from, UK_PAGE_SIZE);
	return n;
}

/* A root of its own sees the identity map through the boot tables until it maps a page there:
 * then the tables on the way are copied (a 2 MiB page becomes 512 identity entries) and marked
 * its own, so that one address space's private low pages are invisible to the others. */
static int own_low_table(uint64_t *e, int level)
{
	uint64_t *n;

	if (*e & PTE_OWN)
		return 0;
	if (level == 1 && (*e & PTE_PS)) {
		if (!(n = uk_core_page_alloc(1)))
			return -1;
		for (int i = 0; i < 512; i++)
			n[i] = ((*e & PTE_ADDR & ~0x1fffffUL) + (uint64_t)i * UK_PAGE_SIZE) | PTE_P | PTE_W;
	} else if (!(n = table_copy((uint64_t *)(*e & PTE_ADDR)))) {
		return -1;
	}
	*e = (uint64_t)n | PTE_P | PTE_W | PTE_OWN;
	return 0;
}

/* The leaf entry of va; with `create`, missing tables are made (NULL when out of pages). */
static uint64_t *leaf(uintptr_t root, uintptr_t va, int create)
{
	uint64_t *t = (uint64_t *)root;
	int low = va < UK_ARCH_IDENTITY_TOP && root != boot_root;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & PTE_P)) {
			uint64_t *n = create ? uk_core_page_alloc(1) : NULL;
			if (!n)
				return NULL;
			uk_arch_fill(n, 0, UK_PAGE_SIZE);
			*e = (uint64_t)n | PTE_P | PTE_W | PTE_OWN;
		}
		if (low && create && level < 3 && own_low_table(e, level))
			return NULL;
		if ((*e & PTE_PS) && (level != 1 || !create || split_large(e)))
			return NULL; /* a large page, left whole unless a map needs one of its 4 KiB */
		t = (uint64_t *)(*e & PTE_ADDR);
	}
	return &t[idx(va, 0)];
}

/* Only the loaded root's entries can be cached: loading another (no global pages) flushes all.
 * Worth it under TCG, where an invlpg inside a 2 MiB page of the identity map empties QEMU's
 * whole software TLB: fork's copies of low pages into the child's tables did that per page. */
static void invalidate(uintptr_t root, uintptr_t va)
{
	if (root == uk_arch_pt_root())
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

int uk_arch_pt_map(uintptr_t root, uintptr_t va, uintptr_t pa, int prot)
{
	uint64_t *e = leaf(root, va, 1);

	if (!e)
		return -1;
	*e = (pa & PTE_ADDR) | leaf_bits(prot);
	invalidate(root, va);
	return 0;
}

uintptr_t uk_arch_pt_lookup(uintptr_t root, uintptr_t va)
{
	uint64_t *e = leaf(root, va, 0);

	return e ? (uintptr_t)(*e & PTE_ADDR) : 0;
}

static int table_empty(const uint64_t *t)
{
	for (int i = 0; i < 512; i++)
		if (t[i])
			return 0;
	return 1;
}

/* The leaves of table t (at `level`, mapping from `base`) in [lo, hi); a table below it that is
 * left empty (fn cleared its last entries) goes back to the page allocator. Returns how many. */
static int walk(uint64_t *t, int level, uintptr_t base, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg,
		uintptr_t root)
{
	uintptr_t span = 1UL << (12 + 9 * level);
	int freed = 0;

	for (unsigned i = lo > base ? idx(lo, level) : 0; i < 512 && base + i * span < hi; i++) {
		uintptr_t va = base + i * span;
		if (level == 0) {
			if (t[i] & PTE_ADDR) {
				fn(va, &t[i], arg);
				invalidate(root, va);
			}
			continue;
		}
		if (!(t[i] & PTE_P) || (t[i] & PTE_PS))
			continue; /* absent: skipped whole (1 GiB reserved, 8 MiB touched: a few hundred steps) */
		uint64_t *sub = (uint64_t *)(t[i] & PTE_ADDR);
		freed += walk(sub, level - 1, va, lo, hi, fn, arg, root);
		if (va >= UK_ARCH_IDENTITY_TOP && (t[i] & PTE_OWN) && table_empty(sub)) { /* never boot or shared tables */
			t[i] = 0;
			uk_core_page_free(sub, 1);
			freed++;
		}
	}
	return freed;
}

/* Visit the resident leaves in [lo, hi). fn may rewrite the entry; the TLB is flushed, and
 * tables the walk leaves empty are freed. */
void uk_arch_pt_walk(uintptr_t root, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg)
{
	if (lo < hi && walk((uint64_t *)root, 3, 0, lo, hi, fn, arg, root) && root == uk_arch_pt_root())
		flush_all(); /* the paging-structure caches may hold the freed tables */
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

	boot_root = uk_arch_pt_root();
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | (1UL << 16)));
}

/* ---- address spaces of their own (processes) ---- */
uintptr_t uk_arch_pt_new(void)
{
	uint64_t *boot = (uint64_t *)boot_root, *pml4 = uk_core_page_alloc(1), *pdpt = uk_core_page_alloc(1);

	if (!pml4 || !pdpt) {
		uk_core_page_free(pml4, 1);
		uk_core_page_free(pdpt, 1);
		return 0;
	}
	uk_arch_fill(pml4, 0, UK_PAGE_SIZE);
	uk_arch_fill(pdpt, 0, UK_PAGE_SIZE);
	uk_arch_copy(pdpt, (uint64_t *)(boot[0] & PTE_ADDR), LOW_GIB * sizeof(uint64_t)); /* the identity map */
	uk_arch_copy(pml4 + 256, boot + 256, 256 * sizeof(uint64_t));                       /* upper half, if any */
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_W | PTE_OWN;
	return (uintptr_t)pml4;
}

/* Free the tables of a level-`level` table this root owns (its leaves were freed already). */
static void free_tables(uint64_t *t, int level)
{
	for (int i = 0; level > 0 && i < 512; i++)
		if ((t[i] & PTE_P) && (t[i] & PTE_OWN) && !(t[i] & PTE_PS))
			free_tables((uint64_t *)(t[i] & PTE_ADDR), level - 1);
	uk_core_page_free(t, 1);
}

void uk_arch_pt_free(uintptr_t root)
{
	uint64_t *pml4 = (uint64_t *)root;

	if (root == boot_root || !root)
		return;
	for (int i = 0; i < 256; i++)
		if ((pml4[i] & PTE_P) && (pml4[i] & PTE_OWN))
			free_tables((uint64_t *)(pml4[i] & PTE_ADDR), 2);
	uk_core_page_free(pml4, 1);
}

void uk_arch_pt_switch(uintptr_t root)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(root) : "memory");
}

uintptr_t uk_arch_pt_boot(void) { return boot_root; }
