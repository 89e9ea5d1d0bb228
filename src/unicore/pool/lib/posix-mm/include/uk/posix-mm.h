/* uk/posix-mm.h: the address space (posix-mm) and memory syscall helpers.
 *
 * One struct uk_memory_space is one address space: its mapping list (sorted, non-overlapping VMAs)
 * and its page-table root. Today the kernel runs one, uk_memory_current; the processes issue (fork
 * with copy-on-write) makes more of them from the same structure. Two kinds of mapping:
 * - identity (below 4 GiB): RAM the kernel gave the program eagerly (its segments, stack, brk,
 *   fixed maps there); the owner of the pages frees them, the list only records them;
 * - demand (above 4 GiB): anonymous memory reserved in the list, backed page by page on first
 *   touch by the page-fault handler; the list owns these pages.
 * File-backed mmap is forwarded to the vfs (uk_vfs_mmap_file) when the plan links one, else
 * -ENODEV. */
#ifndef UK_POSIX_MM_H
#define UK_POSIX_MM_H
#include <stddef.h>
#include <stdint.h>

#define UK_MEMORY_DEMAND 0x1   /* backed on first touch; pages owned by the mapping */
#define UK_MEMORY_STACK 0x2    /* [stack] in /proc/self/maps */
#define UK_MEMORY_HEAP 0x4     /* [heap] */
#define UK_MEMORY_SHARED 0x8   /* MAP_SHARED: 's' in /proc/self/maps */
#define UK_MEMORY_ENFORCED 0x10 /* identity pages whose entries mprotect rewrote (restored on unmap) */

struct uk_memory_vma {
	struct uk_memory_vma *next;
	uintptr_t lo, hi;      /* page-aligned, hi exclusive */
	int prot;              /* UK_PROT_* */
	int flags;             /* UK_MEMORY_* */
	uint64_t off;          /* file offset of lo, for /proc/self/maps */
	char name[48];         /* path of a file mapping or a program object, "" for anonymous */
};

struct uk_memory_space {
	struct uk_memory_vma *vmas;
	uintptr_t root;             /* page-table root (uk_arch_pt_root) */
	size_t rss_pages;           /* resident: identity mappings whole, demand ones as touched */
	size_t hiwater_pages;       /* the largest rss_pages seen (VmHWM, getrusage maxrss) */
	size_t faults;              /* demand pages made (minor faults) */
	uintptr_t brk;              /* the program break (0: not asked yet) */
};
extern struct uk_memory_space uk_memory_current;

/* Mapping list (vmspace.c). lo/hi page-aligned. Insert replaces what overlapped (demand pages
 * there are freed). Remove drops the range (demand pages freed; identity ones are the caller's). */
int uk_memory_insert(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi, int prot, int flags, const char *name, uint64_t off);
void uk_memory_remove(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi);
int uk_memory_protect(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi, int prot); /* -ENOMEM: hole */
struct uk_memory_vma *uk_memory_find(struct uk_memory_space *s, uintptr_t addr);
int uk_memory_covered(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi); /* 1: no hole in [lo, hi) */
uintptr_t uk_memory_gap(struct uk_memory_space *s, size_t len); /* highest free demand range, 0 if none */
void uk_memory_drop_pages(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi); /* demand pages freed */
int uk_memory_resident(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi, unsigned char *vec); /* -ENOMEM: hole */

/* Record a mapping the kernel made itself (exec's objects, the stack): libraries that must not
 * depend on posix-mm call it as UK_OPTIONAL. */
void uk_memory_record(uintptr_t lo, uintptr_t hi, int prot, int flags, const char *name);

/* The program's main stack as a demand mapping (above 4 GiB, backed as touched, an unmapped
 * guard page below it) when RAM cannot hold it whole: its lowest address, 0 when no room. */
uintptr_t uk_memory_stack_map(size_t len);

void uk_memory_count(struct uk_memory_space *s, long delta); /* rss_pages += delta, high-water mark */

/* Demand paging (fault.c). */
int uk_memory_populate(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi); /* 0 or -ENOMEM */

/* A page a mapping drops: freed, or with processes (lib/proc) one sharer fewer. */
void uk_memory_page_put(uintptr_t pa);

size_t uk_memory_hiwater_kib(void); /* VmHWM, getrusage maxrss */
size_t uk_memory_faults(void);       /* demand pages made: getrusage minflt */

#endif
