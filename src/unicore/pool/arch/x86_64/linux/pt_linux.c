/* Page tables (x86_64 as a Linux process): the same 4-level tables as at CPL0, kept in RAM for
 * the memory library's lookups and walks, with every leaf change of the current root mirrored into the host's
 * mapping: the page at va becomes a shared mapping of the RAM memfd at offset pa (RAM is mapped
 * at address == offset, so guest "physical" pages are real memory both ways), inaccessible
 * (PROT_NONE) when absent. The host's page fault reaches us as SIGSEGV (signal_linux.c). */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk/x86_64.h>
#include "linux.h"

#define PTE_P 0x1UL
#define PTE_W 0x2UL
#define PTE_ADDR 0x000ffffffffff000UL

int (*uk_arch_page_fault)(uintptr_t addr, unsigned long error);
static uintptr_t boot_root, current; /* the first address space, and the one the host mirrors */

int uk_arch_linux_map(uintptr_t va, uintptr_t pa, size_t len, int prot)
{
	long r = uk_linux_syscall6(UK_LINUX_NR_MMAP, (long)va, (long)len, prot, UK_LINUX_MAP_SHARED | UK_LINUX_MAP_FIXED,
				   UK_LINUX_FD_RAM, (long)pa);
	return r == (long)va ? 0 : -1;
}

static uintptr_t new_table(void)
{
	uint64_t *t = uk_core_page_alloc(1);

	if (t)
		uk_arch_fill(t, 0, UK_PAGE_SIZE);
	return (uintptr_t)t;
}

uintptr_t uk_arch_pt_root(void)
{
	if (!boot_root)
		boot_root = current = new_table();
	return current;
}

uintptr_t uk_arch_pt_boot(void)
{
	uk_arch_pt_root();
	return boot_root;
}

void uk_arch_pt_init(void) {}

static unsigned idx(uintptr_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

static uint64_t leaf_bits(int prot)
{
	if (!(prot & (UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC)))
		return 0;
	return PTE_P | ((prot & UK_PROT_WRITE) ? PTE_W : 0);
}

/* The host mapping for a leaf: the page, readable and executable, writable with PTE_W. */
static void mirror(uintptr_t va, uint64_t e)
{
	int prot = !(e & PTE_P) ? 0 : (UK_PROT_READ | UK_PROT_EXEC | ((e & PTE_W) ? UK_PROT_WRITE : 0));

	uk_arch_linux_map(va, (e & PTE_ADDR) ? (e & PTE_ADDR) : 0, UK_PAGE_SIZE, prot);
}

/* What the host maps at va when no leaf of the current root covers it: RAM itself below 4 GiB
 * (the identity map), nothing above. */
static void unmirror(uintptr_t va, uint64_t *e, void *arg)
{
	if (va < UK_ARCH_IDENTITY_TOP)
		uk_arch_linux_map(va, va, UK_PAGE_SIZE, UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC);
	else
		uk_arch_linux_map(va, 0, UK_PAGE_SIZE, 0);
}

static void remirror(uintptr_t va, uint64_t *e, void *arg) { mirror(va, *e); }

static uint64_t *leaf(uintptr_t root, uintptr_t va, int create)
{
	uint64_t *t = (uint64_t *)root;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & PTE_P)) {
			uint64_t *n = create ? uk_core_page_alloc(1) : NULL;
			if (!n)
				return NULL;
			uk_arch_fill(n, 0, UK_PAGE_SIZE);
			*e = (uint64_t)n | PTE_P | PTE_W;
		}
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
	if (root == current)
		mirror(va, *e);
	return 0;
}

uintptr_t uk_arch_pt_lookup(uintptr_t root, uintptr_t va)
{
	uint64_t *e = leaf(root, va, 0);

	return e ? (uintptr_t)(*e & PTE_ADDR) : 0;
}

/* Visit the resident leaves in [lo, hi), skipping absent tables whole; a leaf fn rewrites is
 * mirrored to the host. */
static void walk(uintptr_t root, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg, bool sync)
{
	for (uintptr_t va = lo; va < hi;) {
		uint64_t *t = (uint64_t *)root;
		int level = 3;
		for (; level > 0 && (t[idx(va, level)] & PTE_P); level--)
			t = (uint64_t *)(t[idx(va, level)] & PTE_ADDR);
		uintptr_t span = 1UL << (12 + 9 * level), next = (va & ~(span - 1)) + span;
		uint64_t *e = &t[idx(va, 0)];
		if (level == 0 && (*e & PTE_ADDR)) {
			uint64_t before = *e;
			fn(va, e, arg);
			if (sync && *e != before)
				mirror(va, *e);
		}
		if (next <= va)
			break;
		va = next;
	}
}

void uk_arch_pt_walk(uintptr_t root, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg)
{
	walk(root, lo, hi, fn, arg, root == current);
}

/* ---- address spaces of their own (processes): one host address space, re-mirrored on a switch ---- */
uintptr_t uk_arch_pt_new(void) { return new_table(); }

static void free_tables(uint64_t *t, int level)
{
	for (int i = 0; level > 0 && i < 512; i++)
		if (t[i] & PTE_P)
			free_tables((uint64_t *)(t[i] & PTE_ADDR), level - 1);
	uk_core_page_free(t, 1);
}

void uk_arch_pt_free(uintptr_t root)
{
	if (root && root != boot_root && root != current)
		free_tables((uint64_t *)root, 3);
}

/* The old root's leaves go back to what the host maps without them, the new root's are mapped. */
void uk_arch_pt_switch(uintptr_t root)
{
	if (!root || root == current)
		return;
	walk(current, 0, UK_ARCH_USER_TOP, unmirror, NULL, false);
	current = root;
	walk(current, 0, UK_ARCH_USER_TOP, remirror, NULL, false);
}

uint64_t uk_arch_pt_entry(uintptr_t pa, int prot) { return (pa & PTE_ADDR) | leaf_bits(prot); }
uintptr_t uk_arch_pt_entry_addr(uint64_t e) { return (uintptr_t)(e & PTE_ADDR); }

int uk_arch_page_fault_resolve(unsigned long error)
{
	return uk_arch_page_fault && uk_arch_page_fault(uk_arch_x86_64_fault_addr(), error);
}
