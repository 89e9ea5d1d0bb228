/* Crash reports (core): a CPU exception ends the program unless its signal handler takes it
 * (uk_core_trap_signal, posix-signal). The arch's trap entry calls
 * uk_core_trap; we print the cause, the faulting pc with its symbol, the registers and a
 * frame-pointer backtrace (all through the arch's hooks, uk/arch.h), then tell the host
 * (uk_plat_crash). Symbols come from a table the build links into the image (.uk_ksyms: kernel
 * and program functions, sorted by address; see buildsys/ksyms.py). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/image.h>
#include <uk/link.h>
#include <uk/posix-signal.h>
#include <uk/sched.h>

UK_OPTIONAL(uk_posix_signal_fault);
UK_OPTIONAL(uk_sched_gettid);

#define MAX_REGS 32

static bool in_kernel(uintptr_t addr)
{
	return addr >= (uintptr_t)_uk_image_start && addr < (uintptr_t)_end;
}

/* The symbol of the function containing addr: the last one at or below it, if it is on the same
 * side (a kernel symbol for a kernel address, a program one for a program address) and addr is
 * inside it when its size is known. A program address the table does not cover has none (it
 * used to get the nearest kernel function below it). */
const char *uk_core_symbol(uintptr_t addr, uintptr_t *offset)
{
	uint32_t lo = 0, hi = uk_ksyms_count;

	if (!hi || addr < uk_ksyms_addrs[0])
		return NULL;
	while (hi - lo > 1) { /* last entry <= addr */
		uint32_t mid = (lo + hi) / 2;
		if (uk_ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - uk_ksyms_addrs[lo];
	if (in_kernel(uk_ksyms_addrs[lo]) != in_kernel(addr) || (uk_ksyms_sizes[lo] && *offset >= uk_ksyms_sizes[lo]))
		return NULL;
	return uk_ksyms_strs + uk_ksyms_names[lo];
}

static void print_location(const char *prefix, uintptr_t addr)
{
	uintptr_t off = 0;
	const char *sym = uk_core_symbol(addr, &off);
	const char *where = in_kernel(addr) ? "kernel" : "program";

	if (sym)
		uk_core_printk("%s0x%lx <%s+0x%lx> [%s]\n", prefix, addr, sym, off, where);
	else
		uk_core_printk("%s0x%lx [%s]\n", prefix, addr, where);
}

static void print_cause(const struct uk_arch_fault *f)
{
	uk_core_printk("unicore: crash: %s (vector %lu), error code 0x%lx\n", f->what, f->vector, f->error);
	if (f->access) {
		uk_core_printk("unicore:   %s address 0x%lx\n", f->access, f->addr);
		if (f->addr + UK_PAGE_SIZE >= f->sp && f->addr <= f->sp + UK_PAGE_SIZE)
			uk_core_printk("unicore:   (next to the stack pointer: stack overflow?)\n");
	}
	char prefix[32];

	uk_core_snprintf(prefix, sizeof(prefix), "unicore:   %s ", f->pc_name);
	print_location(prefix, f->pc);
}

/* Full-width registers four to a line, then the others on one line. */
static void print_registers(const struct uk_regs *r)
{
	struct uk_arch_reg regs[MAX_REGS];
	int n = uk_arch_regs(r, regs, MAX_REGS), col = 0;
	char line[160];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		if (!regs[i].full)
			continue;
		len += (size_t)uk_core_snprintf(line + len, sizeof(line) - len, " %-3s %016lx", regs[i].name, regs[i].value);
		if (++col % 4 == 0 || i == n - 1)
			uk_core_printk("unicore:  %s\n", line), len = 0;
	}
	len = 0;
	for (int i = 0; i < n; i++)
		if (!regs[i].full)
			len += (size_t)uk_core_snprintf(line + len, sizeof(line) - len, " %s %lx", regs[i].name, regs[i].value);
	if (len)
		uk_core_printk("unicore:  %s\n", line);
}

static void print_repeats(int repeats)
{
	if (repeats)
		uk_core_printk("unicore:     ... the frame above %d more time%s\n", repeats, repeats > 1 ? "s" : "");
}

static bool in_ram(uintptr_t fp)
{
	uintptr_t top = uk_core_pages.base + uk_core_pages.npages * UK_PAGE_SIZE;

	return fp >= 4096 && fp + 16 <= top && !(fp & 7);
}

/* The link register holds the caller of a leaf function (which saves no frame record): worth a
 * line when it points into another function than the pc. */
static bool leaf_caller(const struct uk_arch_fault *f)
{
	uintptr_t off;
	const char *at = uk_core_symbol(f->pc, &off), *from = uk_core_symbol(f->link, &off);

	return f->link && at && from && at != from;
}

/* Walk saved frame pointers; stop at anything that does not look like a frame in RAM.
 * Runs of the same return address (recursion) are printed once with a count. */
static void print_backtrace(const struct uk_arch_fault *f)
{
	uintptr_t fp = f->fp, last = 0;
	int printed = 1, repeats = 0;

	uk_core_printk("unicore:   backtrace:\n");
	print_location("unicore:     #0 ", f->pc);
	int depth = 1;
	if (leaf_caller(f))
		print_location("unicore:     #1 ", f->link), depth++, printed++;
	for (; depth < 65536 && printed < 16 && in_ram(fp); depth++) {
		uintptr_t ret, next = uk_arch_frame_caller(fp, &ret);
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

_Noreturn void uk_core_trap(const struct uk_regs *r)
{
	static int nested;
	struct uk_arch_fault f;

	uk_arch_fault_describe(r, &f);
	if (nested++) {
		uk_core_printk("unicore: fault 0x%lx at 0x%lx while reporting a crash\n", f.vector, f.pc);
		uk_plat_crash(f.signal);
	}
	print_cause(&f);
	if (uk_sched_gettid) /* threads: which one crashed */
		uk_core_printk("unicore:   in thread %ld\n", uk_sched_gettid());
	print_registers(r);
	print_backtrace(&f);
	uk_plat_crash(f.signal);
}

/* A fault of the program's own code goes to its handler when posix-signal has one for it. */
int uk_core_trap_signal(struct uk_regs *r)
{
	struct uk_arch_fault f;

	uk_arch_fault_describe(r, &f);
	if (!uk_posix_signal_fault || (f.pc >= (uintptr_t)_uk_image_start && f.pc < (uintptr_t)_end))
		return 0;
	return uk_posix_signal_fault(r, &f);
}
