/* uk/syscall.h: how libraries define syscall handlers, and the generated table's shape.
 * UK_SYSCALL(write) { ... } defines long uk_sys_write(long a0, ..., long a5); -ffunction-sections
 * puts each in its own section so that only the handlers in the table survive --gc-sections. */
#ifndef UK_SYSCALL_H
#define UK_SYSCALL_H
#include <stdint.h>
#include <uk/errno.h>

typedef long (*uk_syscall_fn)(long, long, long, long, long, long);

#define UK_SYSCALL(name) \
	long uk_sys_##name(long a0, long a1, long a2, long a3, long a4, long a5); \
	long uk_sys_##name(long a0 __attribute__((unused)), long a1 __attribute__((unused)), \
			   long a2 __attribute__((unused)), long a3 __attribute__((unused)), \
			   long a4 __attribute__((unused)), long a5 __attribute__((unused)))

/* The prototype of a handler another library may call directly, e.g.
 * UK_SYSCALL_DECL(lseek); UK_OPTIONAL(uk_sys_lseek); when that handler is optional. */
#define UK_SYSCALL_DECL(name) long uk_sys_##name(long, long, long, long, long, long)

/* Generated per image (syscall_table.c): uk_syscall_index[nr] is 0 (absent) or 1 + the slot of
 * its handler in uk_syscall_handlers; the index is one byte per number to keep images small. */
extern const uint8_t uk_syscall_index[];
extern const unsigned long uk_syscall_index_len;
extern const uk_syscall_fn uk_syscall_handlers[];
/* Names of every syscall of the architecture ("" when unknown), present with UK_SYSCALL_NAMES. */
extern const char uk_syscall_names[];
extern const uint16_t uk_syscall_name_offsets[];
extern const unsigned long uk_syscall_names_len;

long uk_syscall_dispatch(long nr, long args[6]);
const char *uk_syscall_name(long nr);
#endif
