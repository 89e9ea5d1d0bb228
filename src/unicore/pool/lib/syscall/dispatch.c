/* Syscall dispatch (syscall shim): the arch entry calls uk_syscall_dispatch with the number
 * and six arguments; absent numbers return -ENOSYS, and with the debug flag one line names the
 * syscall so the user knows which library the image lacks. */
#include <uk/core.h>
#include <uk/syscall.h>

const char *uk_syscall_name(long nr)
{
#if UK_SYSCALL_NAMES
	if (nr >= 0 && (unsigned long)nr < uk_syscall_names_len && uk_syscall_names[uk_syscall_name_offsets[nr]])
		return uk_syscall_names + uk_syscall_name_offsets[nr];
#endif
	return "unknown";
}

long uk_syscall_dispatch(long nr, long args[6])
{
	unsigned slot = 0;

	if (nr >= 0 && (unsigned long)nr < uk_syscall_index_len)
		slot = uk_syscall_index[nr];
	if (slot)
		return uk_syscall_handlers[slot - 1](args[0], args[1], args[2], args[3], args[4], args[5]);
	if (uk_core_boot.debug)
		uk_core_printk("unicore: syscall %s (%ld) not in this image -> ENOSYS\n", uk_syscall_name(nr), nr);
	return -ENOSYS;
}
