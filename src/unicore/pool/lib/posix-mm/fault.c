/* Demand paging (posix-mm): the page-fault policy. A fault in a demand mapping the access is
 * allowed in gets a zeroed page from the page allocator; anything else (no mapping, a guard
 * page, PROT_NONE, a write to a read-only page) is the program's fault, reported by the arch's
 * crash path as SIGSEGV. When no page is left the guest says so in one line and stops as a
 * process the OOM killer took would (SIGKILL, status 137). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/posix-mm.h>
#include <uk/proc.h>

UK_OPTIONAL(uk_proc_cow_fault); /* processes: a write to a page shared copy-on-write */

static int back_page(struct uk_memory_space *s, uintptr_t va, int prot)
{
	void *p = uk_core_page_alloc(1);

	if (!p)
		return -ENOMEM;
	memset(p, 0, UK_PAGE_SIZE);
	if (uk_arch_pt_map(s->root, va, (uintptr_t)p, prot)) {
		uk_core_page_free(p, 1);
		return -ENOMEM;
	}
	uk_memory_count(s, 1);
	s->faults++;
	return 0;
}

static bool allowed(const struct uk_memory_vma *v, unsigned long error)
{
	if (!(v->flags & UK_MEMORY_DEMAND) || (error & UK_ARCH_PF_PRESENT))
		return false;
	if (error & UK_ARCH_PF_WRITE)
		return v->prot & UK_PROT_WRITE;
	if (error & UK_ARCH_PF_FETCH)
		return v->prot & UK_PROT_EXEC;
	return v->prot & (UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC);
}

_Noreturn static void out_of_memory(uintptr_t addr)
{
	uk_core_printk("unicore: out of memory: no free page for the program's access at 0x%lx "
		  "(%lu MiB guest, %lu KiB resident): boot with more memory (-m)\n", addr,
		  (unsigned long)(uk_core_pages.npages / 256), (unsigned long)(uk_memory_current.rss_pages * 4));
	uk_plat_crash(9);
}

static int on_fault(uintptr_t addr, unsigned long error)
{
	struct uk_memory_space *s = &uk_memory_current;
	struct uk_memory_vma *v = uk_memory_find(s, addr);
	uintptr_t va = UK_ALIGN_DOWN(addr, UK_PAGE_SIZE);

	if (v && (error & (UK_ARCH_PF_PRESENT | UK_ARCH_PF_WRITE)) == (UK_ARCH_PF_PRESENT | UK_ARCH_PF_WRITE) && (v->prot & UK_PROT_WRITE) &&
	    (v->flags & UK_MEMORY_DEMAND) && !(v->flags & UK_MEMORY_SHARED) && uk_proc_cow_fault)
		return uk_proc_cow_fault(s, va) ? 1 : (out_of_memory(addr), 0);
	if (!v || !allowed(v, error) || uk_arch_pt_lookup(s->root, va))
		return 0; /* resident but not accessible (PROT_NONE) is the program's fault too */
	if (back_page(s, va, v->prot))
		out_of_memory(addr);
	return 1;
}

int uk_memory_populate(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi)
{
	struct uk_memory_vma *v = uk_memory_find(s, lo);

	for (uintptr_t va = lo; va < hi; va += UK_PAGE_SIZE)
		if (!uk_arch_pt_lookup(s->root, va) && back_page(s, va, v ? v->prot : UK_PROT_READ))
			return -ENOMEM;
	return 0;
}

static void mm_init(void)
{
	uk_memory_current.root = uk_arch_pt_root();
	uk_arch_page_fault = on_fault;
}
UK_INIT(mm_init, 1);
