/* ELF placement and loading (exec): where each object goes in the one identity-mapped address
 * space, and reading files from the root file system. The vfs is a weak dependency: an image
 * whose program is embedded and static needs no file system at all. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/exec.h>

#define PT_LOAD 1
#define ET_EXEC 2
#define LOW_START 0x400000UL /* where non-PIE x86_64 programs live: keep PIE ones there too */

#include <uk/image.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/proc.h>

UK_OPTIONAL(uk_vfs_kopen);
UK_OPTIONAL(uk_vfs_mmap_fill);
UK_SYSCALL_DECL(lseek);
UK_SYSCALL_DECL(close);
UK_OPTIONAL(uk_sys_lseek);
UK_OPTIONAL(uk_sys_close);
UK_OPTIONAL(uk_proc_exec_fixed); /* processes: pages of its own when another process has that RAM */

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Largest PT_LOAD alignment (at least a page): the bias must keep every segment aligned. */
static size_t max_align(const void *file)
{
	const uint8_t *f = file;
	uint64_t phoff = *(const uint64_t *)(f + 0x20);
	uint16_t phnum = *(const uint16_t *)(f + 0x38);
	const struct phdr *ph = (const void *)(f + phoff);
	size_t align = UK_PAGE_SIZE;

	for (int i = 0; i < phnum; i++)
		if (ph[i].type == PT_LOAD && ph[i].align > align && !(ph[i].align & (ph[i].align - 1)))
			align = ph[i].align;
	return align > (2UL << 20) ? (2UL << 20) : align; /* more would waste RAM; 2 MiB covers huge pages */
}

uintptr_t uk_exec_find_low(uintptr_t from, size_t npages, size_t align)
{
	uintptr_t top = uk_core_pages.base + uk_core_pages.npages * UK_PAGE_SIZE;

	for (uintptr_t a = UK_ALIGN_UP(from, align); a + npages * UK_PAGE_SIZE <= top; a += align)
		if (uk_core_pa_is_free(&uk_core_pages, a, npages))
			return a;
	return 0;
}

/* From the top of RAM: over-allocate by the alignment, give the slack back. */
static uintptr_t find_high(size_t npages, size_t align)
{
	size_t extra = align / UK_PAGE_SIZE - 1;
	uintptr_t p = (uintptr_t)uk_core_page_alloc(npages + extra);

	if (!p)
		return 0;
	uintptr_t a = UK_ALIGN_UP(p, align);
	if (a > p)
		uk_core_page_free((void *)p, (a - p) / UK_PAGE_SIZE);
	if (extra - (a - p) / UK_PAGE_SIZE)
		uk_core_page_free((void *)(a + npages * UK_PAGE_SIZE), extra - (a - p) / UK_PAGE_SIZE);
	return a;
}

/* At its own addresses: the RAM there, or in a process's own address space fresh pages mapped
 * there when another process has that RAM (the same program as the parent, say). */
static const char *place_fixed(struct uk_exec_image *out)
{
	const struct uk_elf_layout *l = &out->l;
	size_t n = (l->hi - l->lo) / UK_PAGE_SIZE;

	if (l->lo < (uintptr_t)_end)
		return "its segments overlap the kernel image: it is linked too low";
	if (uk_core_pa_is_free(&uk_core_pages, l->lo, n)) {
		uk_core_pa_reserve(&uk_core_pages, l->lo, n);
		return NULL;
	}
	if (uk_proc_exec_fixed && uk_proc_exec_fixed(l->lo, l->hi) == 0) {
		out->own_pages = 1;
		return NULL;
	}
	return "its segments need RAM that is not free: boot with more memory (-m)";
}

/* Where segment bytes come from: the file in memory, or an open file of the vfs. */
struct source {
	const char *mem;
	long fd;
};

static void fill(const struct source *src, uint64_t off, void *dst, size_t len)
{
	if (src->mem)
		memmove(dst, src->mem + off, len);
	else
		uk_vfs_mmap_fill((int)src->fd, (int64_t)off, dst, len);
}

const char *uk_exec_place(const void *hdr, size_t size, int low, struct uk_exec_image *out)
{
	const char *err;

	if (uk_process_elf_parse(hdr, size, 0, &out->l, &err))
		return err;
	out->bias = 0;
	out->own_pages = 0;
	if (out->l.type == ET_EXEC)
		return place_fixed(out);
	size_t n = (out->l.hi - out->l.lo) / UK_PAGE_SIZE, align = max_align(hdr);
	uintptr_t base = low ? uk_exec_find_low(LOW_START, n, align) : find_high(n, align);
	if (!base)
		return "not enough free RAM to load it: boot with more memory (-m)";
	if (low)
		uk_core_pa_reserve(&uk_core_pages, base, n);
	out->bias = base - out->l.lo;
	uk_process_elf_parse(hdr, size, out->bias, &out->l, &err);
	return NULL;
}

/* Linux gives zeroed pages: the loader's own allocator (ld.so's minimal malloc) uses the tail
 * of the page after its bss and between segments, and counts on zeros there; bss is zero too. */
static void load_segments(const void *hdr, const struct source *src, struct uk_exec_image *out)
{
	const uint8_t *f = hdr;
	const struct phdr *ph = (const void *)(f + *(const uint64_t *)(f + 0x20));
	uint16_t phnum = *(const uint16_t *)(f + 0x38);

	uintptr_t end = out->l.hi; /* zeroed up to here: the next segment's start */

	/* highest segment first, zeroing only above what each copies: an embedded file whose tail
	 * lies under the program's own pages (uk_core_payload_yield_tail) is read before it is
	 * overwritten (PT_LOAD headers come sorted by address) */
	for (int i = phnum - 1; i >= 0; i--) {
		if (ph[i].type != PT_LOAD)
			continue;
		uintptr_t va = ph[i].vaddr + out->bias, file_end = va + ph[i].filesz;
		memset((void *)file_end, 0, end - file_end);
		fill(src, ph[i].offset, (void *)va, ph[i].filesz);
		end = va;
	}
	memset((void *)out->l.lo, 0, end - out->l.lo);
}

void uk_exec_fill(const void *file, struct uk_exec_image *out)
{
	const struct source src = { file, -1 };

	load_segments(file, &src, out);
}

const char *uk_exec_load(const void *file, size_t size, int low, struct uk_exec_image *out)
{
	const struct source src = { file, -1 };
	const char *err = uk_exec_place(file, size, low, out);

	if (!err)
		load_segments(file, &src, out);
	return err;
}

static void *read_fd(long fd, size_t *size, size_t *pages, const char **err)
{
	long end = uk_sys_lseek(fd, 0, 2 /* SEEK_END */, 0, 0, 0);
	void *buf;

	if (end <= 0)
		return *err = end ? "cannot seek in it" : "it is empty", NULL;
	*size = (size_t)end;
	*pages = UK_ALIGN_UP(*size, UK_PAGE_SIZE) / UK_PAGE_SIZE;
	if (!(buf = uk_core_page_alloc(*pages)))
		return *err = "not enough free RAM to read it: boot with more memory (-m)", NULL;
	if (uk_vfs_mmap_fill(fd, 0, buf, *size)) {
		uk_core_page_free(buf, *pages);
		return *err = "cannot read it", NULL;
	}
	return buf;
}

static const char *open_error(long e)
{
	switch (-e) {
	case ENOENT: return "no such file in the root file system";
	case EACCES: return "permission denied";
	case ENOTDIR: return "a path component is not a directory";
	default: return "cannot open it";
	}
}

void *uk_exec_read_file(const char *path, size_t *size, size_t *pages, const char **err)
{
	if (!uk_vfs_kopen || !uk_vfs_mmap_fill || !uk_sys_lseek)
		return *err = "the image has no file system (vfs) to read it from", NULL;
	long fd = uk_vfs_kopen(path, 0 /* O_RDONLY */, 0);
	if (fd < 0)
		return *err = open_error(fd), NULL;
	void *buf = read_fd(fd, size, pages, err);
	if (uk_sys_close)
		uk_sys_close(fd, 0, 0, 0, 0, 0);
	return buf;
}

/* The ELF header, program headers and PT_INTERP string all in the file's first page (true of
 * every normal executable): then segments are read straight to their place, with no copy of
 * the whole file. */
static int phdrs_fit(const uint8_t *hdr, size_t got)
{
	uint64_t phoff = *(const uint64_t *)(hdr + 0x20);
	uint16_t phnum = *(const uint16_t *)(hdr + 0x38);

	return got >= 0x40 && phoff <= got && (uint64_t)phnum * sizeof(struct phdr) <= got - phoff;
}

static int interp_fits(const uint8_t *hdr, size_t got, const struct uk_elf_layout *l)
{
	if (!l->interp)
		return 1;
	for (size_t i = (size_t)(l->interp - (const char *)hdr); i < got; i++)
		if (!hdr[i])
			return 1; /* the string ends inside the page */
	return 0;
}

static const char NOT_FIRST_PAGE[] = "its program headers are not in its first page";

static const char *load_fd(long fd, size_t size, int low, struct uk_exec_image *out, char *interp, size_t ilen)
{
	uint8_t *hdr = uk_core_page_alloc(1);
	size_t got = size < UK_PAGE_SIZE ? size : UK_PAGE_SIZE;
	const struct source src = { NULL, fd };
	const char *err = NULL;

	if (!hdr)
		return "not enough free RAM to read it: boot with more memory (-m)";
	memset(hdr, 0, UK_PAGE_SIZE);
	uk_vfs_mmap_fill((int)fd, 0, hdr, got);
	if (!phdrs_fit(hdr, got) || (uk_process_elf_parse(hdr, size, 0, &out->l, &err) == 0 && !interp_fits(hdr, got, &out->l)))
		err = NOT_FIRST_PAGE; /* the caller reads it whole */
	if (!err && !(err = uk_exec_place(hdr, size, low, out))) {
		load_segments(hdr, &src, out);
		uk_core_strncpy_z(interp, out->l.interp ? out->l.interp : "", ilen);
		out->l.interp = NULL; /* pointed into hdr */
	}
	uk_core_page_free(hdr, 1);
	return err;
}

const char *uk_exec_load_path(const char *path, int low, struct uk_exec_image *out, char *interp, size_t ilen,
			      int *status)
{
	const char *err;
	size_t size, pages;

	*status = 127;
	if (!uk_vfs_kopen || !uk_vfs_mmap_fill || !uk_sys_lseek)
		return "the image has no file system (vfs) to read it from";
	long fd = uk_vfs_kopen(path, 0 /* O_RDONLY */, 0);
	if (fd < 0)
		return open_error(fd);
	long end = uk_sys_lseek(fd, 0, 2 /* SEEK_END */, 0, 0, 0);
	*status = 126;
	err = end <= 0 ? (end ? "cannot seek in it" : "it is empty") : load_fd(fd, (size_t)end, low, out, interp, ilen);
	if (uk_sys_close)
		uk_sys_close(fd, 0, 0, 0, 0, 0);
	if (err != NOT_FIRST_PAGE)
		return err;
	void *buf = uk_exec_read_file(path, &size, &pages, &err); /* unusual layout: whole file */
	if (buf && !(err = uk_exec_load(buf, size, low, out))) {
		uk_core_strncpy_z(interp, out->l.interp ? out->l.interp : "", ilen);
		out->l.interp = NULL;
	}
	if (buf)
		uk_core_page_free(buf, pages);
	return err;
}
