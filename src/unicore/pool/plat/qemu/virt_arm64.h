/* virt_arm64.h: what plat/qemu's arm64 files share about QEMU virt (read from the device tree). */
#ifndef UK_PLAT_QEMU_VIRT_H
#define UK_PLAT_QEMU_VIRT_H
#include <uk/plat.h>

#define UK_PLAT_QEMU_VIRTIO_MAX 32

struct uk_plat_qemu_virt {
	struct uk_memregion ram[UK_MAX_MEMREGIONS];
	int nram;
	const char *bootargs;                      /* in the device tree: core copies it first */
	uintptr_t uart, rtc, gicd, gicc;           /* 0: not in the tree */
	int timer_irq;                             /* GIC interrupt ID of the virtual timer */
	bool psci_hvc;                             /* PSCI conduit: hvc, else smc */
	struct uk_plat_device virtio[UK_PLAT_QEMU_VIRTIO_MAX];
	int nvirtio;
};
extern struct uk_plat_qemu_virt uk_plat_qemu_virt;
bool uk_plat_qemu_fdt_read(uintptr_t dtb);
#endif
