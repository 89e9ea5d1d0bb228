/* Kernel command line (core): space-separated, percent-encoded tokens. Kernel tokens come
 * first (debug, boottime, loglevel=N, env=KEY=VALUE, argv0=NAME), then `--`, then the
 * program's arguments argv[1..]. Other KEY=VALUE kernel tokens are kept for libraries
 * (uk_core_boot_param: exec=PATH, vol.TAG=PATH). Pure logic: unit-tested on the host. */
#include <uk/core.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

size_t uk_core_percent_decode(char *s)
{
	char *out = s;

	for (char *in = s; *in; in++) {
		int hi, lo;
		if (in[0] == '%' && (hi = hexval(in[1])) >= 0 && (lo = hexval(in[2])) >= 0) {
			*out++ = (char)(hi << 4 | lo);
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = 0;
	return (size_t)(out - s);
}

/* Split in place: NUL-terminate tokens, return their count, store starts in tok[]. */
static int split(char *s, char **tok, int max)
{
	int n = 0;

	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			*s++ = 0;
		if (!*s)
			break;
		if (n == max)
			return -1;
		tok[n++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
	}
	return n;
}

static bool has_value(const char *t)
{
	for (; *t; t++)
		if (*t == '=')
			return true;
	return false;
}

static void kernel_token(char *t, struct uk_bootargs *out)
{
	if (!strcmp(t, "debug"))
		out->debug = true;
	else if (!strcmp(t, "boottime"))
		out->boottime = true;
	else if (!strncmp(t, "loglevel=", 9))
		out->loglevel = t[9] - '0';
	else if (!strncmp(t, "argv0=", 6))
		out->argv0 = t + 6;
	else if (has_value(t) && out->nparams < (int)(sizeof(out->params) / sizeof(out->params[0])))
		out->params[out->nparams++] = t;
}

const char *uk_core_bootargs_param(const struct uk_bootargs *args, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; i < args->nparams; i++)
		if (!strncmp(args->params[i], key, n) && args->params[i][n] == '=')
			return args->params[i] + n + 1;
	return NULL;
}

struct counts {
	int nargs, nenv, dashdash; /* dashdash: index of "--", or -1 */
};

static struct counts count_tokens(char **tok, int n)
{
	struct counts c = { 0, 0, -1 };

	for (int i = 0; i < n; i++) {
		if (c.dashdash < 0 && !strcmp(tok[i], "--"))
			c.dashdash = i;
		else if (c.dashdash >= 0)
			c.nargs++;
		else if (!strncmp(tok[i], "env=", 4))
			c.nenv++;
	}
	return c;
}

/* vec receives: argv[0..argc-1], NULL, envp[0..envc-1], NULL in its lower half; the upper
 * half holds the raw tokens meanwhile (argv and envp interleave on the command line). */
int uk_core_cmdline_parse(char *cmdline, struct uk_bootargs *out, char **vec, int max)
{
	int half = max / 2;
	char **tok = vec + half;
	int n = split(cmdline, tok, max - half);
	struct counts c = count_tokens(tok, n < 0 ? 0 : n);

	if (n < 0 || c.nargs + c.nenv + 3 > half)
		return -1;
	out->envp = vec + c.nargs + 2;
	out->envc = 0;
	for (int i = 0; i < (c.dashdash < 0 ? n : c.dashdash); i++) {
		uk_core_percent_decode(tok[i]);
		if (!strncmp(tok[i], "env=", 4))
			out->envp[out->envc++] = tok[i] + 4;
		else
			kernel_token(tok[i], out);
	}
	out->envp[out->envc] = NULL;
	out->argv = vec;
	out->argc = c.nargs + 1;
	vec[0] = (char *)(out->argv0 ? out->argv0 : UK_APP_NAME);
	for (int i = 0; i < c.nargs; i++)
		vec[1 + i] = tok[c.dashdash + 1 + i], uk_core_percent_decode(vec[1 + i]);
	vec[c.nargs + 1] = NULL;
	return 0;
}
