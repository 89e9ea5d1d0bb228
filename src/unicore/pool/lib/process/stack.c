/* The Linux initial process stack (process), from the top down: strings (argv, envp, platform),
 * 16 random bytes, then at the 16-byte aligned %rsp: argc, argv[], NULL, envp[], NULL, auxv
 * pairs ending with AT_NULL. Pure logic: host unit-tested. */
#include <uk/core.h>
#include <uk/process.h>

static int count(char *const v[])
{
	int n = 0;
	while (v[n])
		n++;
	return n;
}

/* Copy s below *top; return its new address or NULL when below lo. */
static char *push_string(uintptr_t *top, uintptr_t lo, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*top - lo < n)
		return NULL;
	*top -= n;
	return memcpy((void *)*top, s, n);
}

static int push_strings(uintptr_t *top, uintptr_t lo, char *const v[], int n, char **out)
{
	for (int i = n - 1; i >= 0; i--)
		if (!(out[i] = push_string(top, lo, v[i])))
			return -1;
	return 0;
}

static uint64_t aux_value(uint64_t type, uint64_t value, uintptr_t random, uintptr_t platform, uintptr_t execfn)
{
	if (type == UK_AT_RANDOM)
		return random;
	if (type == UK_AT_PLATFORM)
		return platform;
	if (type == UK_AT_EXECFN)
		return execfn;
	return value;
}

struct frame {
	uintptr_t lo, top;          /* the free part of the stack: [lo, top) */
	char *strs[UK_MAX_ARGS];    /* where argv then envp strings went */
	char *plat;
	uintptr_t random;
};

/* Strings and the 16 random bytes at the top of the stack. */
static int place_data(struct frame *f, int argc, char *const argv[], int envc, char *const envp[],
		      const uint8_t random16[16], const char *platform)
{
	if (!(f->plat = push_string(&f->top, f->lo, platform)) ||
	    push_strings(&f->top, f->lo, envp, envc, f->strs + argc) || push_strings(&f->top, f->lo, argv, argc, f->strs))
		return -1;
	f->top = UK_ALIGN_DOWN(f->top, 16);
	if (f->top - f->lo < 16)
		return -1;
	f->top -= 16;
	memcpy((void *)f->top, random16, 16);
	f->random = f->top;
	return 0;
}

static uint64_t *put_vector(uint64_t *w, char *const *strs, int n)
{
	for (int i = 0; i < n; i++)
		*w++ = (uintptr_t)strs[i];
	*w++ = 0;
	return w;
}

uintptr_t uk_process_stack_build(void *lo, size_t size, int argc, char *const argv[], char *const envp[],
			 const uint64_t *auxv, const uint8_t random16[16], const char *platform)
{
	struct frame f = { .lo = (uintptr_t)lo, .top = (uintptr_t)lo + size };
	int envc = count(envp), nauxv = 0;

	while (auxv[2 * nauxv] != UK_AT_NULL)
		nauxv++;
	if (argc + envc > UK_MAX_ARGS || place_data(&f, argc, argv, envc, envp, random16, platform))
		return 0;
	size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * ((size_t)nauxv + 1);
	if (f.top - f.lo < words * 8 + 16)
		return 0;
	uintptr_t sp = UK_ALIGN_DOWN(f.top - words * 8, 16);
	uint64_t *w = (uint64_t *)sp;
	*w++ = (uint64_t)argc;
	w = put_vector(put_vector(w, f.strs, argc), f.strs + argc, envc);
	for (int i = 0; i <= nauxv; i++) {
		*w++ = auxv[2 * i];
		*w++ = aux_value(auxv[2 * i], auxv[2 * i + 1], f.random, (uintptr_t)f.plat, argc ? (uintptr_t)f.strs[0] : 0);
	}
	return sp;
}
