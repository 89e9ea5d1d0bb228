/* Page tables (arm64, 4 KiB granule, 48-bit VA): 4 KiB mappings in the program's part of the
 * address space above the 4 GiB identity map, and guard pages inside it. The walk has the same
 * shape as x86_64's (four levels of 512 entries, level 3 = L0 the root in TTBR0_EL1); the memory
 * library keeps the mapping list and the policy, this file only edits entries. A leaf keeps its
 * physical address when access is revoked (PROT_NONE: valid bit clear), so "resident" and
 * "accessible" stay separate. The program runs at EL1, so EL1's permission (AP[2]) applies. */
#include <uk/arch.h>
#include <uk/arm64.h>
#include <uk/plat.h>

#define D_VALID 0x1UL
#define D_TABLE 0x3UL            /* table at levels 0-2, page at level 3 */
#define D_AF (1UL << 10)
#define D_SH_INNER (3UL << 8)
#define D_NORMAL (1UL << 2)      /* AttrIndx 1: normal write-back (MAIR_EL1, entry_arm64.S) */
#define D_RDONLY (1UL << 7)      /* AP[2] */
#define D_ADDR 0x0000fffffffff000UL
#define D_OWN (1UL << 55)       /* software bit of a table entry: that table belongs to this root alone */
#define LOW_GIB (UK_ARCH_IDENTITY_TOP >> 30)

static uintptr_t boot_root;

static unsigned idx(uintptr_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

static void tlb_flush_va(uintptr_t va)
{
	__asm__ volatile("dsb ishst\n\ttlbi vaae1, %0\n\tdsb ish\n\tisb" : : "r"(va >> 12) : "memory");
}

static void tlb_flush_all(void) { __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory"); }

uintptr_t uk_arch_pt_root(void) { return UK_ARM64_SYSREG_READ(ttbr0_el1) & D_ADDR; }

/* Only the loaded root's entries can be cached: a switch flushes all (uk_arch_pt_switch), and
 * under TCG a per-page flush inside a block of the identity map empties the whole soft TLB. */
static void tlb_flush_in(uintptr_t root, uintptr_t va)
{
	if (root == uk_arch_pt_root())
		tlb_flush_va(va);
	else
		__asm__ volatile("dsb ishst" ::: "memory");
}

void uk_arch_pt_init(void) { boot_root = uk_arch_pt_root(); } /* EL1 honours read-only entries already */

static uint64_t leaf_bits(int prot)
{
	if (!(prot & (UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC)))
		return D_AF | D_SH_INNER | D_NORMAL | 0x2; /* not valid: the address stays, as "resident" */
	return D_TABLE | D_AF | D_SH_INNER | D_NORMAL | ((prot & UK_PROT_WRITE) ? 0 : D_RDONLY);
}

/* A block of the identity map as a table one level down (level 2: 1 GiB -> 2 MiB blocks; level
 * 1: 2 MiB -> pages), same attributes; NULL when out of pages. */
static uint64_t *split_table(uint64_t e, int level)
{
	uint64_t *t = uk_core_page_alloc(1), attrs = e & ~D_ADDR & ~3UL, base = e & D_ADDR;
	uint64_t type = level == 1 ? D_TABLE : D_VALID;

	for (int i = 0; t && i < 512; i++)
		t[i] = (base + ((uint64_t)i << (12 + 9 * (level - 1)))) | attrs | type;
	return t;
}

/* A root of its own sees the identity map through the boot tables until it maps a page there:
 * then the tables on the way are copied (a block becomes a table of smaller ones) and marked its
 * own, so that one address space's private low pages are invisible to the others. */
static int own_low_table(uint64_t *e, int level)
{
	uint64_t *n;

	if (*e & D_OWN)
		return 0;
	if ((*e & 3) != D_TABLE) {
		n = split_table(*e, level);
	} else if ((n = uk_core_page_alloc(1))) {
		uk_arch_copy(n, (uint64_t *)(*e & D_ADDR), UK_PAGE_SIZE);
	}
	if (!n)
		return -1;
	__asm__ volatile("dsb ishst" ::: "memory");
	*e = (uint64_t)n | D_TABLE | D_OWN;
	return 0;
}

static int split(uint64_t *e, int level);

/* The leaf entry of va; with `create`, missing tables are made (NULL when out of pages). */
static uint64_t *leaf(uintptr_t root, uintptr_t va, int create)
{
	uint64_t *t = (uint64_t *)root;
	int low = va < UK_ARCH_IDENTITY_TOP && root != boot_root;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & D_VALID)) {
			uint64_t *n = create ? uk_core_page_alloc(1) : NULL;
			if (!n)
				return NULL;
			uk_arch_fill(n, 0, UK_PAGE_SIZE);
			__asm__ volatile("dsb ishst" ::: "memory");
			*e = (uint64_t)n | D_TABLE | D_OWN;
		}
		if (low && create && level < 3 && own_low_table(e, level))
			return NULL;
		if ((*e & 3) != D_TABLE && !(create && va < UK_ARCH_IDENTITY_TOP && split(e, level) == 0))
			return NULL; /* out of pages (an identity block is split: mprotect of low pages) */
		t = (uint64_t *)(*e & D_ADDR);
	}
	return &t[idx(va, 0)];
}

int uk_arch_pt_map(uintptr_t root, uintptr_t va, uintptr_t pa, int prot)
{
	uint64_t *e = leaf(root, va, 1);

	if (!e)
		return -1;
	*e = (pa & D_ADDR) | leaf_bits(prot);
	tlb_flush_in(root, va);
	return 0;
}

uintptr_t uk_arch_pt_lookup(uintptr_t root, uintptr_t va)
{
	uint64_t *e = leaf(root, va, 0);

	return e ? (uintptr_t)(*e & D_ADDR) : 0;
}

/* Visit the resident leaves in [lo, hi), skipping absent tables whole. */
void uk_arch_pt_walk(uintptr_t root, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg)
{
	uintptr_t va = lo;

	while (va < hi) {
		uint64_t *t = (uint64_t *)root;
		int level = 3;
		for (; level > 0; level--) {
			uint64_t e = t[idx(va, level)];
			if ((e & 3) != D_TABLE)
				break;
			t = (uint64_t *)(e & D_ADDR);
		}
		uintptr_t span = 1UL << (12 + 9 * level), next = (va & ~(span - 1)) + span;
		if (level == 0 && (t[idx(va, 0)] & D_ADDR)) {
			fn(va, &t[idx(va, 0)], arg);
			tlb_flush_in(root, va);
		}
		if (next <= va)
			break;
		va = next;
	}
}

uint64_t uk_arch_pt_entry(uintptr_t pa, int prot) { return (pa & D_ADDR) | leaf_bits(prot); }
uintptr_t uk_arch_pt_entry_addr(uint64_t e) { return (uintptr_t)(e & D_ADDR); }

static int split(uint64_t *e, int level)
{
	uint64_t *t = split_table(*e, level);

	if (!t)
		return -1;
	__asm__ volatile("dsb ishst" ::: "memory");
	*e = (uint64_t)t | D_TABLE;
	tlb_flush_all();
	return 0;
}

/* Unmap one 4 KiB page of the identity map (a guard page). */
int uk_arch_page_unmap(uintptr_t va)
{
	uint64_t *t = (uint64_t *)uk_arch_pt_root();

	if (va >> 32 || va % UK_PAGE_SIZE)
		return -1;
	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & D_VALID))
			return -1;
		if ((*e & 3) != D_TABLE && split(e, level))
			return -1;
		t = (uint64_t *)(*e & D_ADDR);
	}
	t[idx(va, 0)] = 0;
	tlb_flush_va(va);
	return 0;
}

/* ---- address spaces of their own (processes) ---- */
uintptr_t uk_arch_pt_new(void)
{
	uint64_t *boot = (uint64_t *)boot_root, *l0 = uk_core_page_alloc(1), *l1 = uk_core_page_alloc(1);

	if (!l0 || !l1) {
		uk_core_page_free(l0, 1);
		uk_core_page_free(l1, 1);
		return 0;
	}
	uk_arch_fill(l0, 0, UK_PAGE_SIZE);
	uk_arch_fill(l1, 0, UK_PAGE_SIZE);
	uk_arch_copy(l1, (uint64_t *)(boot[0] & D_ADDR), LOW_GIB * sizeof(uint64_t)); /* the identity map */
	__asm__ volatile("dsb ishst" ::: "memory");
	l0[0] = (uint64_t)l1 | D_TABLE | D_OWN;
	return (uintptr_t)l0;
}

/* Free the tables of a level-`level` table this root owns (its leaves were freed already). */
static void free_tables(uint64_t *t, int level)
{
	for (int i = 0; level > 0 && i < 512; i++)
		if ((t[i] & 3) == D_TABLE && (t[i] & D_OWN))
			free_tables((uint64_t *)(t[i] & D_ADDR), level - 1);
	uk_core_page_free(t, 1);
}

void uk_arch_pt_free(uintptr_t root)
{
	if (root == boot_root || !root)
		return;
	free_tables((uint64_t *)root, 3);
}

/* No ASIDs: a switch drops every translation. */
void uk_arch_pt_switch(uintptr_t root)
{
	__asm__ volatile("dsb ishst\n\tmsr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb ish\n\tisb" : : "r"(root) : "memory");
}

uintptr_t uk_arch_pt_boot(void) { return boot_root; }

