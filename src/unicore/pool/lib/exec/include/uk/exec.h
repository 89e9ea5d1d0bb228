/* uk/exec.h: running an unmodified Linux executable (exec library). The program comes from the
 * image (section .uk_app) or from the root file system; a PT_INTERP loader always comes from the
 * root file system. Everything is identity-mapped in one address space: a position-independent
 * object is loaded at the address of the pages it got, its bias = that address - its lowest vaddr. */
#ifndef UK_EXEC_H
#define UK_EXEC_H
#include <stddef.h>
#include <stdint.h>
#include <uk/process.h>

#define UK_AT_HWCAP2 26
#define UK_AT_MINSIGSTKSZ 51

/* The auxiliary vector Linux gives a program laid out as `prog`, its interpreter loaded at
 * `interp_bias` (0: none): AT_RANDOM and AT_EXECFN are left 0 for the stack builder to fill. */
#define UK_EXEC_AUXV_WORDS 40
void uk_exec_auxv(uint64_t auxv[UK_EXEC_AUXV_WORDS], const struct uk_elf_layout *prog, uintptr_t interp_bias);

/* An ELF object placed in memory. */
struct uk_exec_image {
	struct uk_elf_layout l;  /* with the bias applied */
	uintptr_t bias;          /* 0 for ET_EXEC */
	int own_pages;           /* 1: fresh pages mapped at its addresses in the running process's
	                          * space (lib/proc: another process has the RAM there), else that RAM */
};

/* Place (reserve pages for) and load the ELF `file` of `size` bytes; `low` puts a
 * position-independent object at the lowest free address (room for brk above it), else at the
 * top of RAM. Returns NULL, or an error message for people. */
const char *uk_exec_load(const void *file, size_t size, int low, struct uk_exec_image *out);

/* The two halves of uk_exec_load: reserve the pages (out->l, out->bias), then copy the segments. */
const char *uk_exec_place(const void *file, size_t size, int low, struct uk_exec_image *out);
void uk_exec_fill(const void *file, struct uk_exec_image *out);

/* Load the ELF file at `path` of the root file system (segments read straight into place);
 * its PT_INTERP path, "" when none, goes to interp[ilen] (out->l.interp is then NULL). Returns
 * NULL, or an error for people with *status 127 (cannot open it) or 126 (cannot run it). */
const char *uk_exec_load_path(const char *path, int low, struct uk_exec_image *out, char *interp, size_t ilen,
			      int *status);

/* Lowest address >= from, aligned to align, where npages free pages start; 0 when none. */
uintptr_t uk_exec_find_low(uintptr_t from, size_t npages, size_t align);

/* Read a whole file of the root file system into fresh pages; NULL and *err when impossible.
 * *pages receives the page count to give back with uk_core_page_free. */
void *uk_exec_read_file(const char *path, size_t *size, size_t *pages, const char **err);
#endif
