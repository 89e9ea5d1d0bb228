/* exec: start the program the way Linux's execve would. Runs at init level 8, before the
 * process library's own start (level 9), and never returns, so it takes over from it; an
 * embedded program's pages are reserved at level 1, before any library allocates.
 *
 * Which program: the one embedded in the image (section .uk_app) when there is one, else the
 * file UK_EXEC_PATH (or argv[0] when that option is empty) of the root file system; the kernel
 * token exec=PATH forces PATH from the root file system. A program with PT_INTERP gets its
 * loader (e.g. /lib64/ld-linux-x86-64.so.2) from the root file system and the loader is
 * started, with AT_BASE/AT_PHDR/AT_ENTRY describing both, as Linux does.
 * No vDSO is given (no AT_SYSINFO_EHDR): glibc then makes real clock syscalls. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/exec.h>

#include <uk/image.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/posix-mm.h>

/* The root file system is optional: an embedded static program needs none. */
UK_OPTIONAL(uk_vfs_mkdir_p);
UK_OPTIONAL(uk_memory_record); /* posix-mm: /proc/self/maps and mincore see the objects */
UK_OPTIONAL(uk_vfs_boot_clock_hold);
UK_SYSCALL_DECL(symlink);
UK_OPTIONAL(uk_sys_symlink);

struct started {
	struct uk_exec_image prog, interp;
	int has_interp;
	const char *path; /* the program's path: AT_EXECFN is argv[0], /proc/self/exe points here */
};

/* A program that cannot start ends like a shell's "cannot execute": 127 not found, 126 other. */
static _Noreturn void fail(const char *path, const char *what, int status)
{
	uk_core_printk("unicore: exec %s: %s\n", path, what);
	uk_plat_exit(status);
}

/* Kernel token exec=PATH: run PATH from the root file system even when the image embeds a
 * program. */

static const char *exec_param(void)
{
	const char *p = uk_core_boot_param("exec");

	return p && p[0] ? p : NULL;
}

static const char *program_path(void)
{
	static const char opt[] = UK_EXEC_PATH;

	if (exec_param())
		return exec_param();
	return opt[0] ? opt : uk_core_boot.argv[0];
}

static void load_interp(struct started *s, const char *interp)
{
	char nested[8];
	int status;
	const char *err = uk_exec_load_path(interp, 0, &s->interp, nested, sizeof(nested), &status);

	if (err)
		fail(interp, err, status);
	if (nested[0])
		fail(interp, "the program's loader has a loader itself", 126);
	s->has_interp = 1;
}

/* The embedded copy is not needed after loading. Only whole pages: the last one may hold what
 * follows (the root file system archive). */
static void free_embedded(const char *app, const char *app_end, uintptr_t lo)
{
	uintptr_t start = UK_ALIGN_UP((uintptr_t)app, UK_PAGE_SIZE);
	uintptr_t end = UK_ALIGN_DOWN((uintptr_t)app_end, UK_PAGE_SIZE);

	if (start < lo && end > lo)
		end = lo; /* its tail was the program's own pages (uk_core_payload_yield_tail) */
	if (end > start)
		uk_core_page_free((void *)start, (end - start) / UK_PAGE_SIZE);
}

/* The embedded program's pages are taken at init level 1, before any library allocates (the
 * process library does the same for its static programs): a fixed-address program first makes
 * core move the image's payload out of its way (uk_core_payload_offset). */
static struct started started;
static bool embedded_placed;

static bool use_embedded(void) { return uk_app_end - uk_app_start > 0 && !exec_param(); }

static void place_embedded(void)
{
	size_t size = (size_t)(uk_app_end - uk_app_start);
	struct uk_elf_layout l;
	const char *err;

	if (!use_embedded())
		return;
	started.path = program_path();
	if (uk_process_elf_parse(uk_app_start + uk_core_payload_offset, size, 0, &l, &err))
		fail(started.path, err, 126);
	if (l.type == 2 && uk_process_elf_loads_in_place(uk_app_start + uk_core_payload_offset, l.lo))
		uk_core_payload_yield_tail(l.lo, l.hi); /* load_segments copies top-down */
	if (l.type == 2)
		uk_core_payload_move_from(l.lo, l.hi);
	if ((err = uk_exec_place(uk_app_start + uk_core_payload_offset, size, 1, &started.prog)))
		fail(started.path, err, 126);
	embedded_placed = true;
}
UK_INIT(place_embedded, 1);

static void load_embedded(struct started *s, char *interp, size_t ilen)
{
	size_t size = (size_t)(uk_app_end - uk_app_start);
	const char *app = uk_app_start + uk_core_payload_offset, *err; /* the payload may have moved since */

	if (uk_process_elf_parse(app, size, s->prog.bias, &s->prog.l, &err))
		fail(s->path, err, 126);
	uk_exec_fill(app, &s->prog);
	uk_core_strncpy_z(interp, s->prog.l.interp ? s->prog.l.interp : "", ilen);
	s->prog.l.interp = NULL;
	free_embedded(app, app + size, s->prog.l.lo);
}

/* Load the program and, if it names one, its loader. */
static void load_all(struct started *s)
{
	char interp[256];
	int status;
	const char *err;

	s->path = program_path();
	if (embedded_placed)
		load_embedded(s, interp, sizeof(interp));
	else if ((err = uk_exec_load_path(s->path, 1, &s->prog, interp, sizeof(interp), &status)))
		fail(s->path, err, status);
	if (interp[0])
		load_interp(s, interp);
}

/* /proc/self/exe as a symlink in the root ramfs: glibc reads it (static programs at start,
 * $ORIGIN in dynamic ones). Only absolute paths: a relative name would point nowhere. */
static void proc_self_exe(const char *path)
{
	if (path[0] != '/' || !uk_vfs_mkdir_p || !uk_sys_symlink)
		return;
	if (uk_vfs_boot_clock_hold) /* boot-time nodes: reading the clock would calibrate the TSC (ms) */
		uk_vfs_boot_clock_hold(1);
	if (uk_vfs_mkdir_p("/proc/self", 0555) == 0)
		uk_sys_symlink((long)path, (long)"/proc/self/exe", 0, 0, 0, 0);
	if (uk_vfs_boot_clock_hold)
		uk_vfs_boot_clock_hold(0);
}

void uk_exec_auxv(uint64_t auxv[UK_EXEC_AUXV_WORDS], const struct uk_elf_layout *p, uintptr_t interp_bias)
{
	const uint64_t v[UK_EXEC_AUXV_WORDS] = {
		UK_AT_PHDR, p->phdr, UK_AT_PHENT, p->phent, UK_AT_PHNUM, p->phnum,
		UK_AT_PAGESZ, UK_PAGE_SIZE, UK_AT_BASE, interp_bias,
		UK_AT_FLAGS, 0, UK_AT_ENTRY, p->entry,
		UK_AT_UID, 0, UK_AT_EUID, 0, UK_AT_GID, 0, UK_AT_EGID, 0, UK_AT_SECURE, 0,
		UK_AT_HWCAP, uk_arch_hwcap(), UK_AT_HWCAP2, 0, UK_AT_CLKTCK, 100, UK_AT_PLATFORM, 0,
		UK_AT_MINSIGSTKSZ, UK_EXEC_MINSIGSTKSZ, UK_AT_RANDOM, 0, UK_AT_EXECFN, 0, UK_AT_NULL, 0,
	};

	for (int i = 0; i < UK_EXEC_AUXV_WORDS; i++)
		auxv[i] = v[i];
}

static uintptr_t build_stack(const struct started *s)
{
	uint64_t auxv[UK_EXEC_AUXV_WORDS];

	uk_exec_auxv(auxv, &s->prog.l, s->has_interp ? s->interp.bias : 0);
	return uk_process_stack(auxv);
}

static void record_mappings(const struct started *s)
{
	if (!uk_memory_record)
		return;
	uk_memory_record(s->prog.l.lo, s->prog.l.hi, UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC, 0, s->path);
	if (s->has_interp)
		uk_memory_record(s->interp.l.lo, s->interp.l.hi, UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC, 0, "ld.so");
}

static void uk_exec_main(void)
{
	struct started *s = &started;

	load_all(s);
	proc_self_exe(s->path);
	uk_core_log(UK_LOG_INFO, "exec %s: 0x%lx-0x%lx entry 0x%lx", s->path, s->prog.l.lo, s->prog.l.hi, s->prog.l.entry);
	if (s->has_interp)
		uk_core_log(UK_LOG_INFO, "exec loader: 0x%lx-0x%lx entry 0x%lx", s->interp.l.lo, s->interp.l.hi, s->interp.l.entry);
	uk_process_self.brk_start = s->prog.l.hi;
	uk_process_self.entry = s->prog.l.entry;
	record_mappings(s);
	uintptr_t sp = build_stack(s);
	if (uk_core_boot.boottime)
		uk_process_report_boot_time();
	uk_arch_enter_program(s->has_interp ? s->interp.l.entry : s->prog.l.entry, sp);
}
UK_INIT(uk_exec_main, 8);
