/* String and memory functions (core). The compiler emits calls to memcpy/memset itself, so
 * these keep the standard names; the bulk work is the arch's (uk_arch_copy, uk_arch_fill). */
#include <uk/arch.h>
#include <uk/core.h>

void *memcpy(void *dst, const void *src, size_t n)
{
	uk_arch_copy(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uk_arch_fill(dst, c, n);
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--)
		a++, b++;
	return n ? (unsigned char)*a - (unsigned char)*b : 0;
}

char *uk_core_strncpy_z(char *dst, const char *src, size_t n)
{
	size_t i = 0;

	for (; n && i < n - 1 && src[i]; i++)
		dst[i] = src[i];
	if (n)
		dst[i] = 0;
	return dst;
}
