/* Crash report hooks (arm64): what an exception was (the ESR's exception class, and for an abort
 * its fault status and direction), the registers and one frame-record step, for core's report
 * (lib/core/crash.c). */
#include <uk/arch.h>

struct ec_name {
	unsigned ec;
	const char *what;
	int signal;  /* the Linux signal a process would have received (exit status 128+sig) */
};

static const struct ec_name classes[] = {
	{ 0x00, "undefined instruction", 4 },	{ 0x01, "WFI/WFE trapped", 4 },
	{ 0x07, "FP/SIMD access trapped", 4 },	{ 0x0e, "illegal execution state", 4 },
	{ 0x15, "svc", 5 },			{ 0x18, "system register access trapped", 4 },
	{ 0x19, "SVE access trapped", 4 },	{ 0x20, "instruction abort (lower EL)", 11 },
	{ 0x21, "instruction abort", 11 },	{ 0x22, "PC alignment fault", 7 },
	{ 0x24, "data abort (lower EL)", 11 },	{ 0x25, "data abort", 11 },
	{ 0x26, "SP alignment fault", 7 },	{ 0x2c, "FP exception", 8 },
	{ 0x2f, "SError", 7 },			{ 0x30, "breakpoint", 5 },
	{ 0x32, "software step", 5 },		{ 0x34, "watchpoint", 5 },
	{ 0x3c, "brk instruction", 5 },
};

static const char *const slots[16] = {
	"synchronous", "IRQ", "FIQ", "SError", "synchronous", "IRQ", "FIQ", "SError",
	"lower EL", "lower EL", "lower EL", "lower EL", "lower EL", "lower EL", "lower EL", "lower EL",
};

static const struct ec_name *class_of(unsigned ec)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].ec == ec)
			return &classes[i];
	return NULL;
}

/* The abort's kind from its fault status code (DFSC/IFSC) and WnR. */
static const char *abort_access(uint64_t esr, bool fetch)
{
	unsigned fsc = esr & 0x3f, kind = fsc & 0x3c;
	bool write = !fetch && (esr & (1 << 6));

	if (kind == 0x04)
		return fetch ? "unmapped instruction fetch at" : write ? "unmapped write to" : "unmapped read from";
	if (kind == 0x0c)
		return fetch ? "protection violation on instruction fetch at" :
		       write ? "protection violation on write to" : "protection violation on read from";
	if (fsc == 0x21)
		return "alignment fault at";
	if (kind == 0x08)
		return "access flag fault at";
	return "external or other abort at";
}

void uk_arch_fault_describe(const struct uk_regs *r, struct uk_arch_fault *f)
{
	unsigned ec = (unsigned)(r->esr >> 26) & 0x3f;
	const struct ec_name *c = class_of(ec);
	bool sync = r->vector == 0 || r->vector == 4;

	*f = (struct uk_arch_fault){ sync ? (c ? c->what : "synchronous exception") : slots[r->vector & 15],
				     r->vector, r->esr, sync && c ? c->signal : (sync ? 4 : 11), "pc", r->pc, r->sp,
				     r->x[29], NULL, 0, r->x[30] };
	if (sync && (ec == 0x21 || ec == 0x25 || ec == 0x20 || ec == 0x24)) {
		f->access = abort_access(r->esr, ec == 0x21 || ec == 0x20);
		f->addr = r->far;
	}
}

int uk_arch_regs(const struct uk_regs *r, struct uk_arch_reg *out, int max)
{
	static const char names[31][4] = {
		"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
		"x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "fp", "lr",
	};
	int n = 0;

	for (; n < 31 && n < max; n++)
		out[n] = (struct uk_arch_reg){ names[n], r->x[n], true };
	const struct uk_arch_reg tail[] = {
		{ "sp", r->sp, true }, { "pstate", r->pstate, false }, { "esr", r->esr, false },
		{ "far", r->far, false }, { "tpidr_el0", uk_arch_get_tls(), false },
	};
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]) && n < max; i++)
		out[n++] = tail[i];
	return n;
}

/* The AArch64 frame record: [fp] = the caller's fp, [fp + 8] = the return address (lr). */
uintptr_t uk_arch_frame_caller(uintptr_t fp, uintptr_t *ret)
{
	*ret = ((const uintptr_t *)fp)[1];
	return ((const uintptr_t *)fp)[0];
}
