/* Formatted output, leveled log and panic (core). uk_core_vsnprintf knows the subset of printf the
 * kernel uses: %d %i %u %x %X %p %s %c %% with '0'/'-' flags, width, and l/ll/z sizes. */
#include <uk/core.h>
#include <uk/plat.h>

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, char pad, bool left)
{
	int fill = width > (int)n ? width - (int)n : 0;

	for (; !left && fill > 0; fill--)
		put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	for (; left && fill > 0; fill--)
		put(o, ' ');
}

static void put_number(struct out *o, unsigned long long v, bool neg, unsigned base, bool upper,
		       int width, char pad, bool left)
{
	char tmp[24];
	int n = 0;
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0') {
		put(o, '-');
		width--;
	} else if (neg) {
		tmp[sizeof(tmp) - 1 - n++] = '-';
	}
	put_padded(o, tmp + sizeof(tmp) - n, (size_t)n, width, pad, left);
}

static unsigned long long get_unsigned(va_list *ap, int longs)
{
	return longs >= 2 ? va_arg(*ap, unsigned long long) : longs ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned);
}

static long long get_signed(va_list *ap, int longs)
{
	return longs >= 2 ? va_arg(*ap, long long) : longs ? va_arg(*ap, long) : va_arg(*ap, int);
}

static const char *convert(struct out *o, const char *f, va_list *ap)
{
	bool left = false;
	char pad = ' ';
	int width = 0, longs = 0;

	for (; *f == '-' || *f == '0'; f++)
		*f == '-' ? (left = true) : (pad = '0');
	for (; *f >= '0' && *f <= '9'; f++)
		width = width * 10 + (*f - '0');
	for (; *f == 'l' || *f == 'z'; f++)
		longs++;
	if (left)
		pad = ' ';
	switch (*f) {
	case 'd': case 'i': {
		long long v = get_signed(ap, longs);
		put_number(o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0, 10, false, width, pad, left);
		break;
	}
	case 'u': put_number(o, get_unsigned(ap, longs), false, 10, false, width, pad, left); break;
	case 'x': case 'X': put_number(o, get_unsigned(ap, longs), false, 16, *f == 'X', width, pad, left); break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		put_number(o, (uintptr_t)va_arg(*ap, void *), false, 16, false, width, pad, left);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		put_padded(o, s, strlen(s), width, ' ', left);
		break;
	}
	case 'c': put(o, (char)va_arg(*ap, int)); break;
	case '%': put(o, '%'); break;
	default: return f - 1; /* unknown: print the conversion as is */
	}
	return f;
}

int uk_core_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list copy;

	va_copy(copy, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%' || !f[1])
			put(&o, *f);
		else
			f = convert(&o, f + 1, &copy);
	}
	va_end(copy);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int uk_core_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = uk_core_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void vprint(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	char buf[512];
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	int len = uk_core_vsnprintf(buf + n, sizeof(buf) - n - 2, fmt, ap);
	n += (size_t)len < sizeof(buf) - n - 2 ? (size_t)len : sizeof(buf) - n - 3;
	for (const char *s = suffix; *s; s++)
		buf[n++] = *s;
	uk_plat_kernel_write(buf, n);
}

void uk_core_printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint("", fmt, ap, "");
	va_end(ap);
}

void uk_core_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > uk_core_boot.loglevel)
		return;
	va_start(ap, fmt);
	vprint("unicore: ", fmt, ap, "\n");
	va_end(ap);
}

_Noreturn void uk_core_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint("unicore: panic: ", fmt, ap, "\n");
	va_end(ap);
	uk_plat_crash(6); /* like SIGABRT */
}
