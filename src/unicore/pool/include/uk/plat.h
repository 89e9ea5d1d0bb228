/* uk/plat.h: the platform contract, in the spirit of Solo5's solo5.h. A platform library
 * (pool/plat/<plat>/) implements every uk_plat_ function below, and nothing else in the pool
 * knows how the host is reached: the console wire (stdin framing), the control channel, the
 * clock hardware, device addresses and shutdown are the platform's alone. docs/design.md
 * describes each platform's guest/host wire.
 *
 * Direction: libraries call down into the platform; the platform calls up into core only
 * through the three functions of the last section (core implements them). Platform code
 * includes this header, <uk/arch.h>, <uk/image.h> and its arch's private header, never a
 * library's header. */
#ifndef UK_PLAT_H
#define UK_PLAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- boot ---- */
#define UK_MAX_MEMREGIONS 16
#define UK_MAX_BUSY 4

struct uk_memregion {
	uintptr_t base;
	size_t len;
};

/* What the platform found at boot, handed to uk_core_start. Addresses are physical, which is
 * also virtual (one identity-mapped address space). */
struct uk_bootinfo {
	char *cmdline;                                /* kernel tokens, `--`, argv[1..] (docs/design.md) */
	struct uk_memregion ram[UK_MAX_MEMREGIONS];   /* usable RAM, the image included */
	int nram;
	/* RAM handed over in use: core keeps it out of the allocator and, when a program's
	 * segments cover a range, copies it elsewhere and updates base (read it back from here). */
	struct uk_memregion busy[UK_MAX_BUSY];
	int nbusy;
	int module;                                   /* index in busy of the boot module (a cpio root file system), -1: none */
};

/* The platform's entry: the arch's entry code calls it once the CPU runs C (boot_arg is what
 * the loader passed, e.g. the PVH start info); a platform with its own entry (a process's
 * main) calls it itself. Fills a uk_bootinfo and calls uk_core_start. */
_Noreturn void uk_plat_start(uintptr_t boot_arg);

/* ---- console: the program's stdin, stdout and stderr, and the kernel's messages ---- */
/* The program's fd 1 (stdout) or 2 (stderr): all bytes, in order, each fd its own stream on
 * the host. Returns len. */
long uk_plat_console_write(int fd, const void *buf, size_t len);
/* Up to len bytes of stdin: what has arrived, at least one byte (waiting for it; without `wait`
 * -EAGAIN when there is none yet); 0 at end of file, and for ever after. The first call may
 * tell the host to start sending. */
long uk_plat_console_read(char *buf, size_t len, bool wait);
/* Kernel messages and crash reports: a stream of their own, usable at any moment (a crash in
 * the middle of a console write included). */
void uk_plat_kernel_write(const char *buf, size_t len);

/* ---- clock and timer ---- */
uint64_t uk_plat_monotonic_ns(void);          /* since the image started running */
uint64_t uk_plat_wall_ns(void);               /* since the Unix epoch */
uint64_t uk_plat_cycles_to_ns(uint64_t cycles); /* a uk_arch_cycles() difference in ns */
void uk_plat_wait_until(uint64_t monotonic_ns); /* halts the CPU until uk_plat_monotonic_ns() >= it */
/* The timer interrupt: one shot at a monotonic deadline (0 disarms); `fn` runs in interrupt
 * context (core's timer list sets it). */
void uk_plat_timer_set_handler(void (*fn)(void));
void uk_plat_timer_arm(uint64_t monotonic_ns);

/* ---- exit ---- */
_Noreturn void uk_plat_exit(int status);      /* the program's exit status (0-255) to the host */
_Noreturn void uk_plat_crash(int signal);     /* after a crash report: the host exits 128+signal */

/* ---- devices ---- */
enum uk_plat_device_kind { UK_PLAT_DEV_VIRTIO_MMIO = 1 };
struct uk_plat_device {
	enum uk_plat_device_kind kind;
	uintptr_t base;                           /* the transport's registers */
	size_t len;
};
/* The device transports the host may have attached, up to max; returns how many. A slot may
 * be empty (virtio-mmio: magic present, device id 0): the driver probes each. */
int uk_plat_devices(struct uk_plat_device *out, int max);

/* ---- implemented by core, called by the platform ---- */
_Noreturn void uk_core_start(struct uk_bootinfo *bi);  /* the kernel's entry, once */
void *uk_core_page_alloc(size_t npages);               /* also for the arch's page tables */
/* The end of boot phase `what` (a string that outlives the boot), for the boottime token's
 * phase lines (uk_core_marks_print); also called by arch and platform set-up. */
void uk_core_mark(const char *what);
void uk_core_page_free(void *addr, size_t npages);     /* e.g. busy RAM the platform is done with */
/* A driver polling for input: let other threads run until then; 0 (at once) when there are none. */
int uk_core_thread_yield_until(uint64_t monotonic_ns);
#endif
