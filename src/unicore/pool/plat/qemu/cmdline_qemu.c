/* The kernel command line as the platform reads it before core parses it: is a token among
 * the kernel tokens (those before `--`)? Shared by the x86_64 (PVH) and arm64 (device tree) set-up. */
#include <stdbool.h>
#include <stddef.h>
#include "qemu.h"

/* Is `token` one of the kernel tokens (those before `--`)? Tokens are space-separated. */
bool uk_plat_qemu_kernel_token(const char *cmdline, const char *token)
{
	for (const char *t = cmdline; *t;) {
		size_t n = 0, i = 0;
		while (t[n] && t[n] != ' ')
			n++;
		if (n == 2 && t[0] == '-' && t[1] == '-')
			return false;
		while (i < n && token[i] == t[i])
			i++;
		if (i == n && !token[n])
			return true;
		t += n;
		while (*t == ' ')
			t++;
	}
	return false;
}
