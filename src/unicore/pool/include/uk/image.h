/* uk/image.h: symbols that describe the image itself. The platform's linker script defines the
 * layout names (every platform's script must define them all); the build's generated objects
 * define the embedded program and the kernel symbol table (docs/image.md). */
#ifndef UK_IMAGE_H
#define UK_IMAGE_H
#include <stdint.h>

/* Linker script: the kernel [_uk_image_start, _end), then the payload read once at boot
 * [_uk_payload_start, _uk_payload_end) holding the program and the linked root file system. */
extern char _uk_image_start[], _end[];
extern char _uk_payload_start[], _uk_payload_end[];
extern char _uk_initrd_start[], _uk_initrd_end[];

/* Generated (app.S): the embedded program's ELF, empty when the image has none. */
extern const char uk_app_start[], uk_app_end[];

/* Generated (sites.c): the program's syscall sites whose number the static analysis resolved
 * (builds from source for plat spt; empty otherwise), for the platform to rewrite into direct
 * calls at load (docs/spt.md). */
struct uk_image_syscall_site {
	uint64_t addr;
	uint64_t nr; /* UK_IMAGE_SITE_ANY: a `mov %reg, %reg; syscall; ret` tail, the number in %rax */
};
#define UK_IMAGE_SITE_ANY (~0ULL)
extern const struct uk_image_syscall_site uk_app_syscall_sites[];
extern const unsigned long uk_app_syscall_sites_count;

/* Generated (ksyms): the kernel's function symbols and the program's (when the image embeds a
 * program linked at fixed addresses), sorted by address, with sizes (0: unknown), for crash
 * reports. */
extern const uint32_t uk_ksyms_count;
extern const uint64_t uk_ksyms_addrs[];
extern const uint32_t uk_ksyms_sizes[];
extern const uint32_t uk_ksyms_names[];
extern const char uk_ksyms_strs[];

/* Core: the root file system archive (cpio) the image was booted with, the platform's boot
 * module, else the one linked into the image (where it is now: the payload may have moved);
 * 0, or -1 when there is none. Release gives its pages back once unpacked (docs/fs.md). */
#include <stddef.h>
int uk_core_initrd(const void **buf, size_t *len);
void uk_core_initrd_release(void);
#endif
