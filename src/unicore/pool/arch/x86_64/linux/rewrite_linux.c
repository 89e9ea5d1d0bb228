/* Syscall sites rewritten into direct calls (x86_64 as a Linux process): a trapped `syscall`
 * costs a host signal delivery and return; a site the static analysis resolved to one number,
 * in the form `mov $nr, %eax; syscall` (7 bytes), becomes `jmp stub; jmp .-5`, and its stub
 * `mov $nr, %eax; mov $return, %ecx; jmp uk_arch_linux_fast_syscall` enters the kernel as the
 * instruction would have (rcx = the return address, r11 = rflags), without the host. Done once,
 * before the embedded program's first instruction; a site whose bytes are not exactly that form
 * is left to the trap (the table comes from the image: uk/image.h). */
#include <uk/arch.h>
#include <uk/image.h>
#include <uk/plat.h>
#include <uk_config.h>
#include "linux.h"

#define STUB 16

unsigned long uk_arch_linux_sites_rewritten;

static bool is_site(const uint8_t *p, uint64_t nr)
{
	uint32_t imm = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;

	return p[0] == 0xb8 && imm == nr && p[5] == 0x0f && p[6] == 0x05;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void rewrite(uint8_t *site, uint8_t *stub, uint64_t nr)
{
	stub[0] = 0xb8; /* mov $nr, %eax */
	put32(stub + 1, (uint32_t)nr);
	stub[5] = 0xb9; /* mov $return, %ecx (RAM and the program lie below 4 GiB) */
	put32(stub + 6, (uint32_t)(uintptr_t)(site + 7));
	stub[10] = 0xe9; /* jmp uk_arch_linux_fast_syscall */
	put32(stub + 11, (uint32_t)((uintptr_t)uk_arch_linux_fast_syscall - (uintptr_t)(stub + 15)));
	site[0] = 0xe9; /* jmp stub */
	put32(site + 1, (uint32_t)((uintptr_t)stub - (uintptr_t)(site + 5)));
	site[5] = 0xeb; /* jmp site: never reached in the normal flow (the stub returns past it), */
	site[6] = 0xf9; /* but a restarted call (rip - 2, as after `syscall`) lands here and re-enters */
}

void uk_arch_linux_rewrite_sites(void)
{
	static bool done;
	unsigned long n = uk_app_syscall_sites_count;
	uint8_t *stubs;

	if (done || !n || !UK_ARCH_X86_64_LINUX_REWRITE)
		return;
	done = true;
	stubs = uk_core_page_alloc((n * STUB + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE);
	for (unsigned long i = 0; stubs && i < n; i++) {
		uint64_t at = uk_app_syscall_sites[i].addr; /* the `syscall` instruction: the mov precedes it */
		uint8_t *site = (uint8_t *)(uintptr_t)(at - 5);
		if (at < 5 || at >= UK_ARCH_IDENTITY_TOP || !is_site(site, uk_app_syscall_sites[i].nr))
			continue;
		rewrite(site, stubs + uk_arch_linux_sites_rewritten * STUB, uk_app_syscall_sites[i].nr);
		uk_arch_linux_sites_rewritten++;
	}
}
