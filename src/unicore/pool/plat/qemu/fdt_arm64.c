/* Device tree reader (QEMU virt, arm64): one pass over the flattened tree QEMU hands over in x0
 * (devicetree specification v0.4, chapter 5), keeping what the platform needs: RAM (/memory),
 * the command line (/chosen bootargs), the PL011 UART, the PL031 RTC, the GICv2, the generic
 * timer's virtual interrupt, PSCI's conduit and every virtio-mmio transport. Nothing of these
 * addresses is assumed: QEMU may move them between versions and machine options. Nodes are read
 * at the root's level only (QEMU virt puts every device there), with the root's
 * #address-cells and #size-cells. */
#include <uk/plat.h>
#include "qemu.h"
#include "virt_arm64.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

struct uk_plat_qemu_virt uk_plat_qemu_virt;

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t cells(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Is `want` one of the NUL-separated strings of a compatible property? */
static bool has_string(const char *list, uint32_t len, const char *want)
{
	for (uint32_t i = 0; i < len; i++) {
		if (str_eq(list + i, want))
			return true;
		while (i < len && list[i])
			i++;
	}
	return false;
}

struct node {
	const char *name, *compatible, *device_type;
	uint32_t compatible_len;
	const uint8_t *reg, *interrupts, *bootargs, *method;
	uint32_t reg_len, interrupts_len;
};

static void keep_memory(const struct node *n, int ac, int sc)
{
	struct uk_plat_qemu_virt *v = &uk_plat_qemu_virt;

	for (uint32_t off = 0; off + 4 * (ac + sc) <= n->reg_len && v->nram < UK_MAX_MEMREGIONS; off += 4 * (ac + sc))
		v->ram[v->nram++] = (struct uk_memregion){ cells(n->reg + off, ac), cells(n->reg + off + 4 * ac, sc) };
}

static bool compatible(const struct node *n, const char *want)
{
	return n->compatible && has_string(n->compatible, n->compatible_len, want);
}

/* A finished root-level node: keep what it describes. */
static void keep(const struct node *n, int ac, int sc)
{
	struct uk_plat_qemu_virt *v = &uk_plat_qemu_virt;
	uintptr_t reg = n->reg && n->reg_len >= 4u * ac ? cells(n->reg, ac) : 0;
	size_t size = n->reg && n->reg_len >= 4u * (ac + sc) ? cells(n->reg + 4 * ac, sc) : 0;

	if (n->device_type && str_eq(n->device_type, "memory"))
		keep_memory(n, ac, sc);
	else if (n->bootargs)
		v->bootargs = (const char *)n->bootargs;
	else if (compatible(n, "arm,pl011") && !v->uart)
		v->uart = reg;
	else if (compatible(n, "arm,pl031"))
		v->rtc = reg;
	else if (compatible(n, "arm,cortex-a15-gic") && n->reg_len >= 8u * (ac + sc))
		v->gicd = reg, v->gicc = cells(n->reg + 4 * (ac + sc), ac);
	else if (compatible(n, "arm,armv8-timer") && n->interrupts_len >= 36)
		v->timer_irq = 16 + (int)be32(n->interrupts + 28); /* third entry: the virtual timer's PPI */
	else if (compatible(n, "arm,psci-0.2") || compatible(n, "arm,psci"))
		v->psci_hvc = n->method && str_eq((const char *)n->method, "hvc");
	else if (compatible(n, "virtio,mmio") && v->nvirtio < UK_PLAT_QEMU_VIRTIO_MAX)
		v->virtio[v->nvirtio++] = (struct uk_plat_device){ UK_PLAT_DEV_VIRTIO_MMIO, reg, size };
}

static void prop(struct node *n, const char *name, const uint8_t *val, uint32_t len, int depth, int *ac, int *sc)
{
	if (depth == 1 && str_eq(name, "#address-cells"))
		*ac = (int)be32(val);
	else if (depth == 1 && str_eq(name, "#size-cells"))
		*sc = (int)be32(val);
	else if (depth != 2)
		return;
	else if (str_eq(name, "compatible"))
		n->compatible = (const char *)val, n->compatible_len = len;
	else if (str_eq(name, "device_type"))
		n->device_type = (const char *)val;
	else if (str_eq(name, "reg"))
		n->reg = val, n->reg_len = len;
	else if (str_eq(name, "interrupts"))
		n->interrupts = val, n->interrupts_len = len;
	else if (str_eq(name, "bootargs"))
		n->bootargs = val;
	else if (str_eq(name, "method"))
		n->method = val;
}

/* Walk the structure block; false when `dtb` is no device tree. */
bool uk_plat_qemu_fdt_read(uintptr_t dtb)
{
	const uint8_t *h = (const uint8_t *)dtb;

	if (!dtb || be32(h) != FDT_MAGIC)
		return false;
	const uint8_t *p = h + be32(h + 8), *strings = h + be32(h + 12);
	struct node n = { 0 };
	int depth = 0, ac = 2, sc = 1;

	for (;;) {
		uint32_t token = be32(p);
		p += 4;
		if (token == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			while (*p)
				p++;
			p = (const uint8_t *)(((uintptr_t)p + 4) & ~3UL);
			if (++depth == 2)
				n = (struct node){ .name = name };
		} else if (token == FDT_END_NODE) {
			if (depth-- == 2)
				keep(&n, ac, sc);
		} else if (token == FDT_PROP) {
			uint32_t len = be32(p), nameoff = be32(p + 4);
			prop(&n, (const char *)strings + nameoff, p + 8, len, depth, &ac, &sc);
			p += 8 + ((len + 3) & ~3u);
		} else if (token != FDT_NOP) {
			return token == FDT_END;
		}
	}
}
