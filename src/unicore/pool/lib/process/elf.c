/* ELF loading (process): generic ELF64 parsing with a load bias, so position-independent and
 * (later) dynamically linked programs reuse it. Parsing is pure logic: host unit-tested. */
#include <uk/core.h>
#include <uk/arch.h>
#include <uk/process.h>

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static const char *check_header(const struct ehdr *e, size_t size)
{
	if (size < sizeof(*e) || memcmp(e->ident, "\177ELF", 4))
		return "not an ELF file";
	if (e->ident[4] != 2 || e->ident[5] != 1)
		return "not a 64-bit little-endian ELF";
	if (e->machine != UK_ARCH_ELF_MACHINE)
		return "ELF for another machine";
	if (e->type != 2 && e->type != 3)
		return "ELF is neither an executable nor position-independent";
	if (e->phentsize != sizeof(struct phdr) || (e->phoff & 7) || e->phoff > size || e->phnum > (size - e->phoff) / sizeof(struct phdr))
		return "ELF program headers out of bounds";
	return NULL;
}

static const char *check_segment(const struct phdr *p, size_t size)
{
	if (p->offset > size || p->filesz > size - p->offset)
		return "ELF segment outside the file";
	if (p->filesz > p->memsz || p->vaddr + p->memsz < p->vaddr)
		return "ELF segment with bad sizes";
	return NULL;
}

static void add_segment(const struct ehdr *e, const struct phdr *p, uintptr_t bias, struct uk_elf_layout *out)
{
	uintptr_t lo = UK_ALIGN_DOWN(p->vaddr + bias, UK_PAGE_SIZE);
	uintptr_t hi = UK_ALIGN_UP(p->vaddr + p->memsz + bias, UK_PAGE_SIZE);

	if (!out->hi || lo < out->lo)
		out->lo = lo;
	if (hi > out->hi)
		out->hi = hi;
	if (!out->phdr && e->phoff >= p->offset && e->phoff - p->offset < p->filesz)
		out->phdr = p->vaddr + bias + (e->phoff - p->offset);
}

int uk_process_elf_parse(const void *file, size_t size, uintptr_t bias, struct uk_elf_layout *out, const char **err)
{
	const struct ehdr *e = file;

	memset(out, 0, sizeof(*out));
	if ((*err = check_header(e, size)))
		return -1;
	const struct phdr *ph = (const void *)((const char *)file + e->phoff);
	for (int i = 0; i < e->phnum; i++) {
		if (ph[i].type == PT_LOAD || ph[i].type == PT_INTERP)
			if ((*err = check_segment(&ph[i], size)))
				return -1;
		if (ph[i].type == PT_LOAD)
			add_segment(e, &ph[i], bias, out);
		else if (ph[i].type == PT_PHDR)
			out->phdr = ph[i].vaddr + bias;
		else if (ph[i].type == PT_INTERP)
			out->interp = (const char *)file + ph[i].offset;
	}
	if (!out->hi)
		return *err = "ELF has no loadable segment", -1;
	out->entry = e->entry + bias;
	out->phnum = e->phnum;
	out->phent = e->phentsize;
	out->type = e->type;
	return 0;
}

int uk_process_elf_loads_in_place(const void *file, uintptr_t lo)
{
	const struct ehdr *e = file;
	const struct phdr *ph = (const void *)((const char *)file + e->phoff);

	for (int i = 0; i < e->phnum; i++)
		if (ph[i].type == PT_LOAD && ph[i].offset > ph[i].vaddr - lo)
			return 0;
	return 1;
}

void uk_process_elf_load(const void *file, uintptr_t bias)
{
	const struct ehdr *e = file;
	const struct phdr *ph = (const void *)((const char *)file + e->phoff);

	/* highest segment first, with memmove: a file whose tail lies under the program's own
	 * pages (uk_core_payload_yield_tail) is read before it is overwritten */
	for (int i = e->phnum - 1; i >= 0; i--) {
		if (ph[i].type != PT_LOAD)
			continue;
		char *dst = (char *)(ph[i].vaddr + bias);
		memmove(dst, (const char *)file + ph[i].offset, ph[i].filesz);
		memset(dst + ph[i].filesz, 0, ph[i].memsz - ph[i].filesz);
	}
}
