/* uk/spt.h: the boot interface between the spt tender (tender/tender.c, a host program) and the
 * image it runs in its own process (docs/spt.md). The tender maps RAM from a memfd at
 * [ram_base, ram_base + ram_len) with address == file offset, copies the image's PT_LOAD
 * segments in, installs the image's signal handlers and the sandbox, and jumps to the ELF
 * entry with %rdi = a struct uk_spt_boot (in the tender's memory: read it at once). */
#ifndef UK_SPT_H
#define UK_SPT_H
#include <stdint.h>
#include <uk/linux_host.h>

#define UK_SPT_BOOT_MAGIC 0x31747073u /* "spt1" */
#define UK_SPT_RAM_BASE 0x10000UL      /* the first 64 KiB stay unmapped (NULL pointers fault) */

struct uk_spt_boot {
	uint32_t magic, version;
	uint64_t ram_base, ram_len;
	uint64_t cmdline;           /* NUL-terminated: kernel tokens, `--`, argv[1..] (docs/design.md) */
	uint64_t tsc_hz;            /* the TSC rate the tender measured */
	uint64_t wall_ns, mono_ns;  /* the host clocks when it started the image */
};
#endif
