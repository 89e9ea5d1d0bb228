/* ELF placement and loading (exec): where each object goes in the one identity-mapped address
 * space, and reading files from the root file system. The vfs is a weak dependency: an image
 * whose program is embedded and static needs no file system at all. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/exec.h>

#define PT_LOAD 1
#define ET_EXEC 2
#define LOW_START 0x400000UL /* where non-PIE x86_64 programs live: keep PIE ones there too */

extern char _end[];

long uk_vfs_kopen(const char *path, int flags, uint32_t mode) __attribute__((weak));
long uk_vfs_mmap_fill(int fd, int64_t off, void *dst, size_t len) __attribute__((weak));
long uk_sys_lseek(long, long, long, long, long, long) __attribute__((weak));
long uk_sys_close(long, long, long, long, long, long) __attribute__((weak));

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
	uintptr_t top = uk_pages.base + uk_pages.npages * UK_PAGE_SIZE;

	for (uintptr_t a = UK_ALIGN_UP(from, align); a + npages * UK_PAGE_SIZE <= top; a += align)
		if (uk_pa_is_free(&uk_pages, a, npages))
			return a;
	return 0;
}

/* From the top of RAM: over-allocate by the alignment, give the slack back. */
static uintptr_t find_high(size_t npages, size_t align)
{
	size_t extra = align / UK_PAGE_SIZE - 1;
	uintptr_t p = (uintptr_t)uk_page_alloc(npages + extra);

	if (!p)
		return 0;
	uintptr_t a = UK_ALIGN_UP(p, align);
	if (a > p)
		uk_page_free((void *)p, (a - p) / UK_PAGE_SIZE);
	if (extra - (a - p) / UK_PAGE_SIZE)
		uk_page_free((void *)(a + npages * UK_PAGE_SIZE), extra - (a - p) / UK_PAGE_SIZE);
	return a;
}

static const char *place_fixed(const struct uk_elf_layout *l)
{
	if (l->lo < (uintptr_t)_end)
		return "its segments overlap the kernel image: it is linked below 0x400000";
	if (uk_pa_reserve(&uk_pages, l->lo, (l->hi - l->lo) / UK_PAGE_SIZE))
		return "its segments need RAM that is not free: boot with more memory (-m)";
	return NULL;
}

const char *uk_exec_load(const void *file, size_t size, int low, struct uk_exec_image *out)
{
	const char *err;

	if (uk_elf_parse(file, size, 0, &out->l, &err))
		return err;
	out->bias = 0;
	if (out->l.type == ET_EXEC) {
		if ((err = place_fixed(&out->l)))
			return err;
	} else {
		size_t n = (out->l.hi - out->l.lo) / UK_PAGE_SIZE, align = max_align(file);
		uintptr_t base = low ? uk_exec_find_low(LOW_START, n, align) : find_high(n, align);
		if (!base)
			return "not enough free RAM to load it: boot with more memory (-m)";
		if (low)
			uk_pa_reserve(&uk_pages, base, n);
		out->bias = base - out->l.lo;
		uk_elf_parse(file, size, out->bias, &out->l, &err);
	}
	/* Linux gives zeroed pages: the loader's own allocator (ld.so's minimal malloc) uses the
	 * tail of the page after its bss and between segments, and counts on zeros there. */
	memset((void *)out->l.lo, 0, out->l.hi - out->l.lo);
	uk_elf_load(file, out->bias);
	return NULL;
}

static void *read_fd(long fd, size_t *size, size_t *pages, const char **err)
{
	long end = uk_sys_lseek(fd, 0, 2 /* SEEK_END */, 0, 0, 0);
	void *buf;

	if (end <= 0)
		return *err = end ? "cannot seek in it" : "it is empty", NULL;
	*size = (size_t)end;
	*pages = UK_ALIGN_UP(*size, UK_PAGE_SIZE) / UK_PAGE_SIZE;
	if (!(buf = uk_page_alloc(*pages)))
		return *err = "not enough free RAM to read it: boot with more memory (-m)", NULL;
	if (uk_vfs_mmap_fill(fd, 0, buf, *size)) {
		uk_page_free(buf, *pages);
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
