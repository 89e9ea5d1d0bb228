/* uk/core.h: the kernel core API: boot information and flags, init table, log and panic,
 * string functions, page allocator and heap, entropy. */
#ifndef UK_CORE_H
#define UK_CORE_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uk_config.h>
#include <uk/errno.h>
#include <uk/link.h>
#include <uk/plat.h> /* struct uk_bootinfo; uk_core_start, uk_core_page_alloc/free (core implements them) */

/* ---- boot ---- */
#define UK_MAX_ARGS 256

struct uk_bootargs { /* parsed command line (docs/design.md) */
	int argc, envc;
	char **argv, **envp;
	bool debug, boottime;
	int loglevel;
	const char *argv0;
	const char *params[32]; /* other kernel tokens KEY=VALUE, for libraries (uk_core_boot_param): room
				 * for a vol.TAG token per virtio slot (24) and a few more */
	int nparams;
};

extern struct uk_bootargs uk_core_boot;
/* Boot phases (printed with the boottime token): uk_core_mark (uk/plat.h) stamps uk_arch_cycles()
 * at the end of each; uk_core_marks_print lists each phase's time since the previous mark, from
 * the entry (uk_arch_boot_cycles). */
void uk_core_marks_print(void);
/* The VALUE of kernel token KEY=VALUE (e.g. exec=PATH, vol.TAG=PATH), NULL when absent. */
const char *uk_core_boot_param(const char *key);
const char *uk_core_bootargs_param(const struct uk_bootargs *args, const char *key);

/* The image's payload (program ELF, linked root file system) is linked right after the kernel;
 * a program whose segments cover it, or a busy range (bootinfo.busy: the platform reads its
 * ranges back from there), moves them away first. Payload addresses are link address + offset. */
extern intptr_t uk_core_payload_offset;
void uk_core_payload_move_from(uintptr_t lo, uintptr_t hi);
/* Instead of moving it: when the payload is the program alone, starts below lo and ends inside
 * [lo, hi), its pages from lo up become the program's (freed for it to reserve; move_from then
 * leaves the payload in place). Only for a loader that copies the highest segment first with
 * memmove (uk_process_elf_load): each segment's source then lies below its own destination and
 * every higher one's. 1 when done; the smallest guest RAM no longer holds the payload twice. */
int uk_core_payload_yield_tail(uintptr_t lo, uintptr_t hi);
#include <uk/image.h> /* uk_core_initrd, uk_core_initrd_release */

/* The kernel's function symbols (for crash reports): the one containing addr and addr's
 * offset in it, NULL when unknown. */
const char *uk_core_symbol(uintptr_t addr, uintptr_t *offset);

/* Parse `cmdline` in place. vec holds argv (NULL-terminated) then envp (NULL-terminated).
 * Returns 0, or -1 when more than `max` pointers would be needed. */
int uk_core_cmdline_parse(char *cmdline, struct uk_bootargs *out, char **vec, int max);
size_t uk_core_percent_decode(char *s);

/* Init table: functions run in level order at boot (1 platform extras, 5 libraries, 9 main). */
typedef void (*uk_init_fn)(void);
#define UK_INIT(fn, level) \
	static const uk_init_fn __uk_init_##fn __attribute__((used, section(".uk_inittab." #level))) = fn
/* The table's bounds, from the platform's linker script (sorted by section name). */
extern const uk_init_fn __uk_inittab_start[], __uk_inittab_end[];

/* ---- log ---- */
#define UK_LOG_ERR 1
#define UK_LOG_WARN 2
#define UK_LOG_INFO 3
#define UK_LOG_DEBUG 4

int uk_core_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int uk_core_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void uk_core_printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void uk_core_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void uk_core_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program's end (exit, exit_group, its last thread): what the kernel still owes the outside
 * world is finished first (net: data the program sent but the peer has not acknowledged, as
 * Linux keeps sending after a process exits), then uk_plat_exit(status). */
_Noreturn void uk_core_exit(int status);

/* ---- strings (the compiler may also emit calls to these) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *uk_core_strncpy_z(char *dst, const char *src, size_t n); /* always NUL-terminates */

/* ---- page allocator: a bitmap over one RAM range, 1 bit per page ---- */
struct uk_palloc {
	uintptr_t base;   /* address of page 0 */
	size_t npages;
	size_t nfree;
	uint64_t *bits;   /* 1 = in use */
	size_t top_hint;  /* no free run ends above this page index + 1 */
};

void uk_core_pa_init(struct uk_palloc *pa, uintptr_t base, size_t npages, uint64_t *bits);
void *uk_core_pa_alloc(struct uk_palloc *pa, size_t npages);   /* highest free run; NULL if none */
void uk_core_pa_free(struct uk_palloc *pa, void *addr, size_t npages);
int uk_core_pa_reserve(struct uk_palloc *pa, uintptr_t addr, size_t npages); /* 0, or -1 if a page was taken */
bool uk_core_pa_is_free(const struct uk_palloc *pa, uintptr_t addr, size_t npages);
size_t uk_core_pa_bitmap_words(size_t npages);

extern struct uk_palloc uk_core_pages; /* the kernel's allocator over RAM (uk_core_page_alloc/free: uk/plat.h) */

/* ---- heap: size classes carved from pages, large blocks straight from pages ---- */
struct uk_heap {
	void *free[9];            /* free lists of 16..4096-byte blocks (class sizes 16 << i) */
	uint8_t *cur, *end;       /* bump area for new blocks */
	void *(*pages)(size_t npages);
	void (*free_pages)(void *addr, size_t npages);
	size_t chunk_pages;
};

void uk_core_heap_init(struct uk_heap *h, void *(*pages)(size_t), void (*free_pages)(void *, size_t), size_t chunk_pages);
void *uk_core_heap_alloc(struct uk_heap *h, size_t size);
void uk_core_heap_free(struct uk_heap *h, void *p);
size_t uk_core_heap_usable(const void *p);
void *uk_core_malloc(size_t size);
void *uk_core_zalloc(size_t size);
void uk_core_free(void *p);

/* ---- entropy: RDRAND when present, else a TSC-seeded generator ---- */
void uk_core_random_fill(void *buf, size_t len);

#define UK_ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))
#define UK_ALIGN_DOWN(x, a) ((x) & ~((uintptr_t)(a) - 1))
#define UK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
