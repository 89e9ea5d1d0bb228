/* uk/process.h: the program's process: ELF parsing/loading (generic: a load bias is already
 * supported for position-independent and, later, dynamic programs), the Linux initial stack,
 * and the process state other libraries read (brk start). */
#ifndef UK_PROCESS_H
#define UK_PROCESS_H
#include <stddef.h>
#include <stdint.h>

#define UK_AT_NULL 0
#define UK_AT_PHDR 3
#define UK_AT_PHENT 4
#define UK_AT_PHNUM 5
#define UK_AT_PAGESZ 6
#define UK_AT_BASE 7
#define UK_AT_FLAGS 8
#define UK_AT_ENTRY 9
#define UK_AT_UID 11
#define UK_AT_EUID 12
#define UK_AT_GID 13
#define UK_AT_EGID 14
#define UK_AT_PLATFORM 15
#define UK_AT_HWCAP 16
#define UK_AT_CLKTCK 17
#define UK_AT_SECURE 23
#define UK_AT_RANDOM 25
#define UK_AT_EXECFN 31

struct uk_elf_layout {
	uintptr_t entry;       /* with bias */
	uintptr_t phdr;        /* address of the program headers in memory, 0 if not loaded */
	uintptr_t lo, hi;      /* page-aligned span of the PT_LOAD segments, with bias */
	uint16_t phnum, phent;
	int type;              /* ET_EXEC 2, ET_DYN 3 */
	const char *interp;    /* PT_INTERP path inside the file, NULL for static programs */
};

/* Validate an ELF64 little-endian image for this machine and compute its layout; 0 or -1 with *err. */
int uk_process_elf_parse(const void *file, size_t size, uintptr_t bias, struct uk_elf_layout *out, const char **err);
/* Copy PT_LOAD segments to their addresses + bias and zero their bss. */
void uk_process_elf_load(const void *file, uintptr_t bias);
/* 1 when every PT_LOAD's file offset is at most its distance from lo: loading top-down from a
 * copy of the file placed at or below lo never overwrites bytes still to be read. */
int uk_process_elf_loads_in_place(const void *file, uintptr_t lo);

/* Build a Linux initial stack in [lo, lo+size); returns the initial %rsp, 0 when it does not fit.
 * auxv: (type, value) pairs ending with UK_AT_NULL; AT_RANDOM/AT_PLATFORM/AT_EXECFN values are
 * replaced by the addresses of the data the builder places on the stack. */
uintptr_t uk_process_stack_build(void *lo, size_t size, int argc, char *const argv[], char *const envp[],
			 const uint64_t *auxv, const uint8_t random16[16], const char *platform);

/* The program's main stack (UK_PROCESS_STACK_KB, an unmapped guard page below it) holding the
 * boot arguments, environment and `auxv`; returns the initial %rsp. Panics when memory is short. */
uintptr_t uk_process_stack(const uint64_t *auxv);
/* With the `boottime` flag: cycles and microseconds from PVH entry to the program's entry. */
void uk_process_report_boot_time(void);

struct uk_process {
	uintptr_t brk_start;   /* first page after the program's segments */
	uintptr_t entry;
};
extern struct uk_process uk_process_self;
#endif
