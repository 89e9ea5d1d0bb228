/* net: /etc/resolv.conf made at boot from the net.dns kernel token the runner sets (QEMU's user
 * network answers DNS at 10.0.2.3, a tap network at its gateway: docs/run.md), so the C library's
 * resolver finds the guest's name server. A resolv.conf the rootfs carries (--file, or one the
 * traced run read) is left as it is. */
#include "net_priv.h"

static void resolv_conf_init(void)
{
	const char *dns = uk_core_boot_param("net.dns");
	char line[64];
	long fd;
	int n;

	if (!dns || !*dns)
		return;
	n = uk_core_snprintf(line, sizeof(line), "nameserver %s\n", dns);
	if (n <= 0 || n >= (int)sizeof(line))
		return;
	uk_vfs_boot_clock_hold(1); /* boot-time nodes: reading the clock would calibrate the TSC */
	uk_vfs_mkdir_p("/etc", 0755);
	fd = uk_vfs_kopen("/etc/resolv.conf", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		uk_sys_write(fd, (long)(uintptr_t)line, n, 0, 0, 0);
		uk_sys_close(fd, 0, 0, 0, 0, 0);
	}
	uk_vfs_boot_clock_hold(0);
}
UK_INIT(resolv_conf_init, 7);
