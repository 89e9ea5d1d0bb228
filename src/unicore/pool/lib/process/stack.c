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

uintptr_t uk_stack_build(void *lo_p, size_t size, int argc, char *const argv[], char *const envp[],
			 const uint64_t *auxv, const uint8_t random16[16], const char *platform)
{
	uintptr_t lo = (uintptr_t)lo_p, top = lo + size;
	int envc = count(envp), nauxv = 0;
	char *strs[UK_MAX_ARGS];

	if (argc + envc > UK_MAX_ARGS)
		return 0;
	while (auxv[2 * nauxv] != UK_AT_NULL)
		nauxv++;
	char *plat = push_string(&top, lo, platform);
	if (!plat || push_strings(&top, lo, envp, envc, strs + argc) || push_strings(&top, lo, argv, argc, strs))
		return 0;
	top = UK_ALIGN_DOWN(top, 16) - 16;
	memcpy((void *)top, random16, 16);
	uintptr_t random = top;
	size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * ((size_t)nauxv + 1);
	if (top - lo < words * 8 + 16)
		return 0;
	uintptr_t sp = UK_ALIGN_DOWN(top - words * 8, 16);
	uint64_t *w = (uint64_t *)sp;
	*w++ = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		*w++ = (uintptr_t)strs[i];
	*w++ = 0;
	for (int i = 0; i < envc; i++)
		*w++ = (uintptr_t)strs[argc + i];
	*w++ = 0;
	for (int i = 0; i <= nauxv; i++) {
		*w++ = auxv[2 * i];
		*w++ = aux_value(auxv[2 * i], auxv[2 * i + 1], random, (uintptr_t)plat, argc ? (uintptr_t)strs[0] : 0);
	}
	return sp;
}
