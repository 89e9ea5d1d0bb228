/* Host unit tests of machine-independent kernel code (page allocator, heap, command line,
 * formatting, ELF parsing, initial stack), built with -fsanitize=address,undefined.
 * Usage: test_units NAME [ARG]; prints "ok NAME" and exits 0 when every check passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uk/core.h>
#include <uk/process.h>
#include <uk/plat.h>

struct uk_bootargs uk_core_boot;
static char console[4096];
static size_t console_len;

void uk_plat_kernel_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len && console_len + 1 < sizeof(console); i++)
		console[console_len++] = buf[i];
}
_Noreturn void uk_plat_crash(int sig)
{
	fprintf(stderr, "crash %d: %.*s\n", sig, (int)console_len, console);
	exit(3);
}

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static uint32_t rng = 1;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

/* ---- page allocator against a reference model ---- */
#define NPAGES 1000
static void test_palloc(void)
{
	struct uk_palloc pa;
	uint64_t bits[(NPAGES + 63) / 64];
	char *mem = aligned_alloc(4096, NPAGES * 4096UL);
	bool model[NPAGES] = { 0 };

	uk_core_pa_init(&pa, (uintptr_t)mem, NPAGES, bits);
	CHECK(pa.nfree == NPAGES);
	CHECK(uk_core_pa_alloc(&pa, 1) == mem + 999 * 4096UL); /* highest page first */
	CHECK(uk_core_pa_alloc(&pa, 10) == mem + 989 * 4096UL);
	uk_core_pa_free(&pa, mem + 989 * 4096UL, 11);
	CHECK(pa.nfree == NPAGES && uk_core_pa_is_free(&pa, (uintptr_t)mem, NPAGES));
	CHECK(uk_core_pa_reserve(&pa, (uintptr_t)mem + 4096, 2) == 0 && uk_core_pa_reserve(&pa, (uintptr_t)mem + 8192, 1) == -1);
	model[1] = model[2] = true;
	CHECK(uk_core_pa_alloc(&pa, NPAGES) == NULL && uk_core_pa_alloc(&pa, 0) == NULL);
	struct { char *p; size_t n; } live[64] = { 0 };
	for (int step = 0; step < 20000; step++) {
		int i = rnd() % 64;
		if (live[i].p) {
			uk_core_pa_free(&pa, live[i].p, live[i].n);
			for (size_t k = 0; k < live[i].n; k++)
				model[(live[i].p - mem) / 4096 + k] = false;
			live[i].p = NULL;
			continue;
		}
		size_t n = 1 + rnd() % (rnd() % 4 ? 8 : 120);
		size_t free_pages = 0;
		for (int k = 0; k < NPAGES; k++)
			free_pages += !model[k];
		CHECK(pa.nfree == free_pages);
		char *p = uk_core_pa_alloc(&pa, n);
		if (!p)
			continue;
		CHECK(p >= mem && p + n * 4096 <= mem + NPAGES * 4096UL && (p - mem) % 4096 == 0);
		for (size_t k = 0; k < n; k++) {
			CHECK(!model[(p - mem) / 4096 + k]);
			model[(p - mem) / 4096 + k] = true;
		}
		memset(p, 0xab, n * 4096); /* ASAN: the range is real memory */
		live[i].p = p, live[i].n = n;
	}
	free(mem);
}

/* ---- heap over the page allocator ---- */
static struct uk_palloc heap_pages;
static void *pages(size_t n) { return uk_core_pa_alloc(&heap_pages, n); }
static void free_pages(void *p, size_t n) { uk_core_pa_free(&heap_pages, p, n); }

static void test_heap(void)
{
	static uint64_t bits[(4096 + 63) / 64];
	char *mem = aligned_alloc(4096, 4096 * 4096UL);
	struct uk_heap h;
	struct { unsigned char *p; size_t n; unsigned char v; } live[128] = { 0 };

	uk_core_pa_init(&heap_pages, (uintptr_t)mem, 4096, bits);
	uk_core_heap_init(&h, pages, free_pages, 4);
	for (int step = 0; step < 50000; step++) {
		int i = rnd() % 128;
		if (live[i].p) {
			for (size_t k = 0; k < live[i].n; k++)
				CHECK(live[i].p[k] == live[i].v);
			uk_core_heap_free(&h, live[i].p);
		}
		size_t n = rnd() % 4 ? 1 + rnd() % 300 : 1 + rnd() % 20000;
		live[i].p = uk_core_heap_alloc(&h, n);
		CHECK(live[i].p && uk_core_heap_usable(live[i].p) >= n && ((uintptr_t)live[i].p & 15) == 0);
		live[i].n = n, live[i].v = (unsigned char)step;
		memset(live[i].p, live[i].v, n);
	}
	for (int i = 0; i < 128; i++)
		uk_core_heap_free(&h, live[i].p);
	uk_core_heap_free(&h, NULL);
	free(mem);
}

/* ---- command line ---- */
static void test_cmdline(void)
{
	char line[] = "debug  env=A=1 loglevel=4 env=B=x%20y boottime -- one two%25 %2D%2D";
	char *vec[32];
	struct uk_bootargs b = { 0 };

	CHECK(uk_core_cmdline_parse(line, &b, vec, 32) == 0);
	CHECK(b.debug && b.boottime && b.loglevel == 4 && b.argc == 4 && b.envc == 2);
	CHECK(!strcmp(b.argv[0], "app") && !strcmp(b.argv[1], "one") && !strcmp(b.argv[2], "two%"));
	CHECK(!strcmp(b.argv[3], "--") && b.argv[4] == NULL);
	CHECK(!strcmp(b.envp[0], "A=1") && !strcmp(b.envp[1], "B=x y") && b.envp[2] == NULL);

	char flag[] = "stdin=initrd --"; /* a KEY=VALUE token core does not know: kept as a param */
	struct uk_bootargs f = { 0 };
	CHECK(uk_core_cmdline_parse(flag, &f, vec, 32) == 0 && f.argc == 1);
	CHECK(!strcmp(uk_core_bootargs_param(&f, "stdin"), "initrd"));

	char params[] = "exec=/usr/bin/x vol.data=/long%20path debug novalue -- exec=not-a-param";
	struct uk_bootargs p = { 0 };
	CHECK(uk_core_cmdline_parse(params, &p, vec, 32) == 0 && p.debug && p.nparams == 2 && p.argc == 2);
	CHECK(!strcmp(uk_core_bootargs_param(&p, "exec"), "/usr/bin/x"));
	CHECK(!strcmp(uk_core_bootargs_param(&p, "vol.data"), "/long path"));
	CHECK(!uk_core_bootargs_param(&p, "vol") && !uk_core_bootargs_param(&p, "novalue") && !uk_core_bootargs_param(&p, "exe"));

	char plain[] = "argv0=prog";
	struct uk_bootargs c = { 0 };
	CHECK(uk_core_cmdline_parse(plain, &c, vec, 32) == 0);
	CHECK(c.argc == 1 && !strcmp(c.argv[0], "prog") && c.argv[1] == NULL && c.envc == 0 && c.envp[0] == NULL);

	char many[400];
	strcpy(many, "--");
	for (int i = 0; i < 40; i++)
		strcat(many, " x");
	struct uk_bootargs d = { 0 };
	CHECK(uk_core_cmdline_parse(many, &d, vec, 32) == -1);
	char empty[] = "";
	CHECK(uk_core_cmdline_parse(empty, &d, vec, 32) == 0 && d.argc == 1);
}

/* ---- formatting, against the C library ---- */
static void test_format(void)
{
	char a[128], b[128];
#define SAME(...) do { uk_core_snprintf(a, sizeof(a), __VA_ARGS__); snprintf(b, sizeof(b), __VA_ARGS__); \
	if (strcmp(a, b)) { fprintf(stderr, "format %s: got '%s' want '%s'\n", #__VA_ARGS__, a, b); exit(1); } } while (0)
	SAME("%d %i %u", -42, 7, 3000000000u);
	SAME("%ld %lu %lx %lX", -1L, ~0UL, 0xdeadbeefUL, 0xabcUL);
	SAME("[%5d] [%-5d] [%05d] [%-6s] [%6s]", 42, 42, -42, "ab", "cd");
	SAME("%016lx %c %% %s", 0x1234UL, 'z', "end");
	SAME("%zu %lld", (size_t)12345, -9000000000LL);
	CHECK(uk_core_snprintf(a, 4, "%s", "abcdef") == 6 && !strcmp(a, "abc"));
	uk_core_snprintf(a, sizeof(a), "%p", (void *)0x1000);
	CHECK(!strcmp(a, "0x1000"));
}

/* ---- ELF parsing of a real program, and of damaged copies ---- */
static void test_elf(const char *path)
{
	FILE *f = fopen(path, "rb");
	CHECK(f);
	static unsigned char file[4 << 20];
	size_t size = fread(file, 1, sizeof(file), f);
	fclose(f);
	struct uk_elf_layout l;
	const char *err = NULL;

	CHECK(uk_process_elf_parse(file, size, 0, &l, &err) == 0);
	/* PROGRAM_BASE: where `unicore cc` links programs (unicore.program.toolchain.LINK_BASE) */
	CHECK(l.entry == *(uint64_t *)(file + 24) && l.lo == PROGRAM_BASE && l.hi > l.lo && l.type == 2);
	CHECK(l.phdr == PROGRAM_BASE + *(uint64_t *)(file + 32) && !l.interp);
	CHECK(uk_process_elf_parse(file, size, 0x1000000, &l, &err) == 0 && l.lo == 0x1000000 + PROGRAM_BASE);
	CHECK(uk_process_elf_parse(file, 10, 0, &l, &err) == -1 && !strcmp(err, "not an ELF file"));
	unsigned char *copy = malloc(size);
	for (int round = 0; round < 3000; round++) { /* damaged headers: errors, never out of bounds */
		memcpy(copy, file, size);
		for (int k = 0; k < 4; k++)
			copy[rnd() % 512] = (unsigned char)rnd();
		size_t cut = round % 2 ? size : 64 + rnd() % 600;
		unsigned char *exact = malloc(cut);
		memcpy(exact, copy, cut);
		uk_process_elf_parse(exact, cut, 0, &l, &err);
		free(exact);
	}
	free(copy);
}

/* ---- the initial stack ---- */
static void test_stack(void)
{
	static uint64_t stack[4096];
	char *argv[] = { "prog", "arg one", NULL };
	char *envp[] = { "A=1", NULL };
	const uint64_t auxv[] = { UK_AT_PAGESZ, 4096, UK_AT_RANDOM, 0, UK_AT_PLATFORM, 0, UK_AT_NULL, 0 };
	uint8_t random[16];

	for (int i = 0; i < 16; i++)
		random[i] = (uint8_t)(i * 7);
	uintptr_t sp = uk_process_stack_build(stack, sizeof(stack), 2, argv, envp, auxv, random, "x86_64");
	CHECK(sp && sp % 16 == 0 && sp >= (uintptr_t)stack);
	uint64_t *w = (uint64_t *)sp;
	CHECK(w[0] == 2 && !strcmp((char *)w[1], "prog") && !strcmp((char *)w[2], "arg one") && w[3] == 0);
	CHECK(!strcmp((char *)w[4], "A=1") && w[5] == 0);
	CHECK(w[6] == UK_AT_PAGESZ && w[7] == 4096 && w[8] == UK_AT_RANDOM && !memcmp((void *)w[9], random, 16));
	CHECK(w[10] == UK_AT_PLATFORM && !strcmp((char *)w[11], "x86_64") && w[12] == UK_AT_NULL);
	CHECK(uk_process_stack_build(stack, 64, 2, argv, envp, auxv, random, "x86_64") == 0);
	for (size_t size = 0; size <= 400; size += 8) { /* every size: 0 or a stack inside the buffer */
		uint64_t *buf = malloc(size ? size : 8);
		uintptr_t top = uk_process_stack_build(buf, size, 2, argv, envp, auxv, random, "x86_64");
		CHECK(top == 0 || (top >= (uintptr_t)buf && top < (uintptr_t)buf + size));
		free(buf);
	}
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";

	if (!strcmp(name, "palloc"))
		test_palloc();
	else if (!strcmp(name, "heap"))
		test_heap();
	else if (!strcmp(name, "cmdline"))
		test_cmdline();
	else if (!strcmp(name, "format"))
		test_format();
	else if (!strcmp(name, "elf") && argc > 2)
		test_elf(argv[2]);
	else if (!strcmp(name, "stack"))
		test_stack();
	else
		return fprintf(stderr, "unknown test %s\n", name), 2;
	printf("ok %s\n", name);
	return 0;
}
