/* Crash reports (x86_64): any CPU exception is fatal. We print the vector, error code,
 * faulting RIP with its symbol, the registers and a frame-pointer backtrace, then tell the
 * host (COM2 "crash SIG") and stop. Symbols come from a table the build links into the image
 * (.uk_ksyms: kernel and program functions, sorted by address; see buildsys/ksyms.py). */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/plat.h>
#include <uk/core.h>
#include <uk/image.h>

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection fault", "page fault", "reserved",
	"x87 FPU error", "alignment check", "machine check", "SIMD FP exception", "virtualization",
	"control protection",
};

/* The Linux signal a process would have received for this vector (exit status 128+sig). */
static int signal_of(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19: return 8;	/* SIGFPE */
	case 1: case 3: return 5;		/* SIGTRAP */
	case 6: return 4;			/* SIGILL */
	case 17: return 7;			/* SIGBUS */
	default: return 11;			/* SIGSEGV */
	}
}

const char *uk_arch_symbol(uintptr_t addr, uintptr_t *offset)
{
	uint32_t lo = 0, hi = uk_ksyms_count;

	if (addr >> 32 || !hi || addr < uk_ksyms_addrs[0])
		return NULL;
	while (hi - lo > 1) { /* last entry <= addr */
		uint32_t mid = (lo + hi) / 2;
		if (uk_ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - uk_ksyms_addrs[lo];
	return uk_ksyms_strs + uk_ksyms_names[lo];
}

static void print_location(const char *prefix, uintptr_t addr)
{
	uintptr_t off = 0;
	const char *sym = uk_arch_symbol(addr, &off);
	const char *where = (addr >= (uintptr_t)_uk_image_start && addr < (uintptr_t)_end) ? "kernel" : "program";

	if (sym)
		uk_core_printk("%s0x%lx <%s+0x%lx> [%s]\n", prefix, addr, sym, off, where);
	else
		uk_core_printk("%s0x%lx [%s]\n", prefix, addr, where);
}

static void print_cause(const struct uk_regs *r)
{
	const char *name = r->vector < 32 && names[r->vector] ? names[r->vector] : "exception";

	uk_core_printk("unicore: crash: %s (vector %lu), error code 0x%lx\n", name, r->vector, r->error);
	if (r->vector == 14) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		uk_core_printk("unicore:   %s %s address 0x%lx\n", (r->error & 1) ? "protection violation on" : "unmapped",
			  (r->error & 16) ? "instruction fetch at" : (r->error & 2) ? "write to" : "read from", cr2);
		if (cr2 + UK_PAGE_SIZE >= r->rsp && cr2 <= r->rsp + UK_PAGE_SIZE)
			uk_core_printk("unicore:   (next to the stack pointer: stack overflow?)\n");
	}
	print_location("unicore:   rip ", r->rip);
}

static void print_registers(const struct uk_regs *r)
{
	uk_core_printk("unicore:   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
	uk_core_printk("unicore:   rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", r->rsi, r->rdi, r->rbp, r->rsp);
	uk_core_printk("unicore:   r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", r->r8, r->r9, r->r10, r->r11);
	uk_core_printk("unicore:   r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", r->r12, r->r13, r->r14, r->r15);
	uk_core_printk("unicore:   rflags %lx cs %lx fs.base %lx\n", r->rflags, r->cs, uk_arch_get_tls());
}

static void print_repeats(int repeats)
{
	if (repeats)
		uk_core_printk("unicore:     ... the frame above %d more time%s\n", repeats, repeats > 1 ? "s" : "");
}

/* Walk saved frame pointers; stop at anything that does not look like a frame in RAM.
 * Runs of the same return address (recursion) are printed once with a count. */
static void print_backtrace(const struct uk_regs *r)
{
	uintptr_t fp = r->rbp, top = uk_plat_ram_top(), last = 0;
	int printed = 1, repeats = 0;

	uk_core_printk("unicore:   backtrace:\n");
	print_location("unicore:     #0 ", r->rip);
	for (int depth = 1; depth < 65536 && printed < 16; depth++) {
		if (fp < 4096 || fp + 16 > top || (fp & 7))
			break;
		uintptr_t next = ((uintptr_t *)fp)[0], ret = ((uintptr_t *)fp)[1];
		if (!ret)
			break;
		if (ret == last) {
			repeats++;
		} else {
			char prefix[32];
			print_repeats(repeats);
			repeats = 0;
			uk_core_snprintf(prefix, sizeof(prefix), "unicore:     #%d ", depth);
			print_location(prefix, ret);
			printed++;
		}
		last = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	print_repeats(repeats);
}

void uk_arch_trap(struct uk_regs *r)
{
	static int nested;

	if (nested++) {
		uk_core_printk("unicore: fault 0x%lx at 0x%lx while reporting a crash\n", r->vector, r->rip);
		uk_plat_crash(signal_of(r->vector));
	}
	print_cause(r);
	print_registers(r);
	print_backtrace(r);
	uk_plat_crash(signal_of(r->vector));
}
