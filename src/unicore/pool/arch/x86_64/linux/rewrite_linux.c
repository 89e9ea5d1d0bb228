/* Syscall sites rewritten into direct calls (x86_64 as a Linux process): a trapped `syscall`
 * costs a host signal delivery and return; a site the static analysis resolved to one number,
 * in the form `mov $nr, %eax; syscall` (7 bytes), becomes `jmp stub; jmp .-5`, and its stub
 * `mov $nr, %eax; mov $return, %ecx; jmp uk_arch_linux_fast_syscall` enters the kernel as the
 * instruction would have (rcx = the return address, r11 = rflags), without the host. Done once,
 * before the embedded program's first instruction; a site whose bytes are not exactly that form
 * is left to the trap (the table comes from the image: uk/image.h).
 *
 * Any site (UK_IMAGE_SITE_ANY: its number is not a constant, as musl's generic wrapper's)
 * qualifies when it is `mov %reg, %reg; syscall; ret` (6 bytes;
 * the build checked that no branch lands inside): `jmp stub` + int3, and the stub
 * `mov %reg, %reg; mov $ret, %ecx; jmp uk_arch_linux_fast_syscall; jmp .-12; ret` keeps the
 * number in %rax and returns through its own `ret`; a restarted call (rip - 2) lands on the
 * `jmp .-12` and re-enters without the mov.
 *
 * A resolved site `mov $nr, %eax; mov $imm, %r32; syscall` (12 bytes; the build dropped those a
 * branch enters) becomes `jmp stub`, int3s, `jmp site` where the syscall was (the restart
 * target), and its stub runs both movs: constants, so running them again on a restart is
 * harmless. Last, `syscall; mov %reg, %reg` (musl's `mov %rax, %rdi` before __syscall_ret)
 * becomes `jmp stub`; the stub makes the call with its own return address, then runs the mov
 * and jumps back past the site (a restart lands on a `jmp stub` before the mov). */
#include <uk/arch.h>
#include <uk/image.h>
#include <uk/plat.h>
#include <uk_config.h>
#include "linux.h"

#define STUB 24

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

static bool is_imm_site(const uint8_t *p, uint64_t nr)
{
	uint32_t imm = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;

	return p[0] == 0xb8 && imm == nr && p[5] >= 0xb8 && p[5] <= 0xbf && p[10] == 0x0f && p[11] == 0x05;
}

static void rewrite_imm(uint8_t *site, uint8_t *stub)
{
	for (int i = 0; i < 10; i++) /* mov $nr, %eax; mov $imm, %r32 */
		stub[i] = site[i];
	stub[10] = 0xb9; /* mov $return, %ecx */
	put32(stub + 11, (uint32_t)(uintptr_t)(site + 12));
	stub[15] = 0xe9; /* jmp uk_arch_linux_fast_syscall */
	put32(stub + 16, (uint32_t)((uintptr_t)uk_arch_linux_fast_syscall - (uintptr_t)(stub + 20)));
	site[0] = 0xe9; /* jmp stub */
	put32(site + 1, (uint32_t)((uintptr_t)stub - (uintptr_t)(site + 5)));
	for (int i = 5; i < 10; i++)
		site[i] = 0xcc;
	site[10] = 0xeb; /* jmp site: a restarted call (rip - 2) */
	site[11] = (uint8_t)(0 - 12);
}

/* The `syscall` at `at` ends `mov %reg, %reg` (REX.W 89/8b, register operands) and `ret`. */
static bool is_tail(const uint8_t *at)
{
	return (at[-3] & 0xfa) == 0x48 && (at[-2] == 0x89 || at[-2] == 0x8b) && at[-1] >= 0xc0 && at[0] == 0x0f &&
	       at[1] == 0x05 && at[2] == 0xc3;
}

static void rewrite_tail(uint8_t *at, uint8_t *stub)
{
	for (int i = 0; i < 3; i++) /* the mov */
		stub[i] = at[i - 3];
	stub[3] = 0xb9; /* mov $ret, %ecx: the stub's own ret */
	put32(stub + 4, (uint32_t)(uintptr_t)(stub + 15));
	stub[8] = 0xe9; /* jmp uk_arch_linux_fast_syscall */
	put32(stub + 9, (uint32_t)((uintptr_t)uk_arch_linux_fast_syscall - (uintptr_t)(stub + 13)));
	stub[13] = 0xeb; /* jmp stub + 3: a restarted call lands here (ret - 2) */
	stub[14] = (uint8_t)(3 - 15);
	stub[15] = 0xc3;
	at[-3] = 0xe9; /* jmp stub */
	put32(at - 2, (uint32_t)((uintptr_t)stub - (uintptr_t)(at + 2)));
	at[2] = 0xcc; /* never reached: the stub returns */
}

/* `syscall; mov %reg, %reg` at `at`: the mov (its result's first use) goes after the call. */
static bool is_post(const uint8_t *at)
{
	return at[0] == 0x0f && at[1] == 0x05 && (at[2] & 0xfa) == 0x48 && (at[3] == 0x89 || at[3] == 0x8b) &&
	       at[4] >= 0xc0;
}

static void rewrite_post(uint8_t *at, uint8_t *stub)
{
	stub[0] = 0xb9; /* mov $stub+12, %ecx: the return lands on the moved mov */
	put32(stub + 1, (uint32_t)(uintptr_t)(stub + 12));
	stub[5] = 0xe9; /* jmp uk_arch_linux_fast_syscall */
	put32(stub + 6, (uint32_t)((uintptr_t)uk_arch_linux_fast_syscall - (uintptr_t)(stub + 10)));
	stub[10] = 0xeb; /* jmp stub: a restarted call (ret - 2) */
	stub[11] = (uint8_t)(0 - 12);
	for (int i = 0; i < 3; i++) /* the mov */
		stub[12 + i] = at[2 + i];
	stub[15] = 0xe9; /* jmp past the site */
	put32(stub + 16, (uint32_t)((uintptr_t)(at + 5) - (uintptr_t)(stub + 20)));
	at[0] = 0xe9; /* jmp stub */
	put32(at + 1, (uint32_t)((uintptr_t)stub - (uintptr_t)(at + 5)));
}

/* Rewrite one site if its bytes have a form the table's number allows; true if done (the
 * order is program/sites.py's, which dropped the sites a branch enters). */
static bool rewrite_site(uint64_t at, uint64_t nr, uint8_t *stub)
{
	if (at < 5 || at >= UK_ARCH_IDENTITY_TOP)
		return false;
	uint8_t *p = (uint8_t *)(uintptr_t)at;

	if (nr != UK_IMAGE_SITE_ANY && is_site(p - 5, nr))
		rewrite(p - 5, stub, nr);
	else if (nr != UK_IMAGE_SITE_ANY && at >= 10 && is_imm_site(p - 10, nr))
		rewrite_imm(p - 10, stub);
	else if (is_tail(p))
		rewrite_tail(p, stub);
	else if (is_post(p))
		rewrite_post(p, stub);
	else
		return false;
	return true;
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
	for (unsigned long i = 0; stubs && i < n; i++) /* addr: the `syscall` instruction */
		if (rewrite_site(uk_app_syscall_sites[i].addr, uk_app_syscall_sites[i].nr,
				 stubs + uk_arch_linux_sites_rewritten * STUB))
			uk_arch_linux_sites_rewritten++;
}
