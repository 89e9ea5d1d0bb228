/* CPU setup (x86_64): GDT with a TSS (IST stack for exceptions), IDT for vectors 0-31,
 * SSE/AVX state, the syscall MSRs, TLS (FS base) and small CPU queries. */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/plat.h>

struct uk_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
} __attribute__((packed));

struct uk_idt_entry {
	uint16_t off0, selector;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
} __attribute__((packed));

/* null, 0x08 kernel code (64-bit), 0x10 kernel data, 0x18 TSS (two slots) */
uint64_t uk_arch_gdt[5] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL, 0, 0 };
static struct uk_tss tss;
static struct uk_idt_entry idt[256];
static uint8_t ist_stack[16384] __attribute__((aligned(16), section(".bss..nozero.ist")));
static uint8_t irq_stack[8192] __attribute__((aligned(16), section(".bss..nozero.ist"))); /* IST2 */

static void load_tss(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	tss.ist[0] = (uint64_t)(ist_stack + sizeof(ist_stack));
	tss.ist[1] = (uint64_t)(irq_stack + sizeof(irq_stack));
	tss.iomap = sizeof(tss);
	uk_arch_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	uk_arch_gdt[4] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(0x18));
}

/* An interrupt gate (IF cleared on entry) to `stub`, running on stack IST `ist`. */
void uk_arch_idt_set(int vector, uint64_t stub, int ist)
{
	idt[vector] = (struct uk_idt_entry){ (uint16_t)stub, 0x08, (uint8_t)ist, 0x8e, (uint16_t)(stub >> 16),
					     (uint32_t)(stub >> 32), 0 };
}

static void load_idt(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	for (int i = 0; i < 32; i++)
		uk_arch_idt_set(i, uk_arch_trap_stubs[i], 1);
	uk_arch_irq_init();
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

/* FPU/SSE always; XSAVE state components x87|SSE|AVX(|AVX-512) when the CPU has them. */
static void enable_fpu(void)
{
	uint64_t cr0, cr4;
	uint32_t r[4];

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~((1UL << 2) | (1UL << 3))) | (1UL << 1) | (1UL << 5); /* -EM -TS +MP +NE */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1UL << 9) | (1UL << 10); /* OSFXSR, OSXMMEXCPT */
	uk_cpuid(1, 0, r);
	if (r[2] & (1U << 26))
		cr4 |= 1UL << 18; /* OSXSAVE */
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("fninit");
	if (!(r[2] & (1U << 26)))
		return;
	uint64_t xcr0 = 3 | ((r[2] & (1U << 28)) ? 4 : 0);
	uint32_t s[4];
	uk_cpuid(0xd, 0, s); /* supported XCR0 bits */
	xcr0 |= s[0] & 0xe0 & ((xcr0 & 4) ? 0xe0 : 0); /* AVX-512 state only with AVX */
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
}

static void enable_syscall(void)
{
	uk_wrmsr(UK_MSR_STAR, 0x08ULL << 32);
	uk_wrmsr(UK_MSR_LSTAR, (uint64_t)uk_arch_syscall_entry);
	uk_wrmsr(UK_MSR_FMASK, 0x47700); /* clear TF IF DF IOPL NT AC on entry */
}

void uk_arch_cpu_init(void)
{
	load_tss();
	load_idt();
	enable_fpu();
	enable_syscall();
	uk_arch_pt_init();
}

/* Called from the long-mode entry with the PVH start info's physical address. */
void uk_arch_start(uintptr_t start_info)
{
	uk_core_mark("entry to C");
	uk_arch_cpu_init();
	uk_core_mark("cpu");
	uk_plat_start(start_info);
}

void uk_arch_set_tls(uint64_t base) { uk_wrmsr(UK_MSR_FS_BASE, base); }
uint64_t uk_arch_get_tls(void) { return uk_rdmsr(UK_MSR_FS_BASE); }

uint64_t uk_arch_hwcap(void)
{
	uint32_t r[4];

	uk_cpuid(1, 0, r);
	return r[3];
}

int uk_arch_rdrand64(uint64_t *out)
{
	static int have = -1; /* CPUID is a VM exit under KVM: ask once */
	uint32_t r[4];
	unsigned char ok = 0;

	if (have < 0) {
		uk_cpuid(1, 0, r);
		have = !!(r[2] & (1U << 30));
	}
	if (!have)
		return 0;
	for (int tries = 0; tries < 10 && !ok; tries++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
	return ok;
}

/* TSC frequency from CPUID leaves 0x15/0x16 or the hypervisor timing leaf; 0 when unknown. */
uint64_t uk_arch_tsc_hz_cpuid(void)
{
	uint32_t r[4];

	uk_cpuid(1, 0, r);
	if (r[2] & (1U << 31)) {
		uk_cpuid(0x40000000, 0, r);
		if (r[0] >= 0x40000010) {
			uk_cpuid(0x40000010, 0, r);
			if (r[0])
				return (uint64_t)r[0] * 1000;
		}
	}
	uk_cpuid(0, 0, r);
	uint32_t max = r[0];
	if (max >= 0x15) {
		uk_cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0];
	}
	if (max >= 0x16) {
		uk_cpuid(0x16, 0, r);
		if (r[0])
			return (uint64_t)r[0] * 1000000;
	}
	return 0;
}

_Noreturn void uk_arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Start the program: fresh registers (Linux zeroes them; %rdx = 0 means no rtld_fini), and
 * interrupts on (the kernel runs with them off; the platform masks every source it does not
 * handle). */
_Noreturn void uk_arch_enter_program(uintptr_t entry, uintptr_t sp)
{
	register uintptr_t e __asm__("r12") = entry; /* registers the sequence below leaves alone */
	register uintptr_t s __asm__("r13") = sp;

	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%eax, %%eax\n\txor %%ebx, %%ebx\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%ebp, %%ebp\n\t"
			 "xor %%r8d, %%r8d\n\txor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d\n\t"
			 "sti\n\tjmp *%1"
			 : : "r"(s), "r"(e) : "memory");
	__builtin_unreachable();
}

/* Unmap one 4 KiB page of the identity map (a guard page). A 2 MiB mapping is first split into
 * a page table of 4 KiB entries taken from the page allocator. */
int uk_arch_page_unmap(uintptr_t va)
{
	if (va >> 32 || va % UK_PAGE_SIZE)
		return -1;
	return uk_arch_pt_map(uk_arch_pt_root(), va, va, 0); /* no rights: later accesses fault */
}
