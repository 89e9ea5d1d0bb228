/* Clocks (QEMU): the TSC is the time source. Its frequency comes from CPUID when the CPU
 * reports it, else from measuring it against the i8254 PIT (channel 0 read-back), done on the
 * first clock use only so that programs that never ask for time do not pay for it. The wall
 * clock is the CMOS RTC read at that moment plus TSC time since. */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/plat.h>
#include <uk_config.h>

#define PIT_HZ 1193182ULL
#define PIT_CH0 0x40
#define PIT_CMD 0x43

static uint64_t tsc_hz, ns_mult; /* ns = cycles * ns_mult >> 32 */
static uint64_t wall_base_ns, wall_base_tsc;

static uint16_t pit_read(void)
{
	uk_outb(PIT_CMD, 0x00); /* latch channel 0 */
	uint8_t lo = uk_inb(PIT_CH0);
	return (uint16_t)(lo | (uk_inb(PIT_CH0) << 8));
}

static uint64_t calibrate_pit(void)
{
	uint64_t ticks = PIT_HZ * UK_PLAT_QEMU_CALIBRATE_US / 1000000, elapsed = 0;

	uk_outb(PIT_CMD, 0x34); /* channel 0, lo/hi, mode 2 */
	uk_outb(PIT_CH0, 0xff);
	uk_outb(PIT_CH0, 0xff);
	uint16_t last = pit_read();
	uint64_t t0 = uk_rdtsc();
	for (int spins = 0; elapsed < ticks; spins++) {
		uint16_t now = pit_read();
		elapsed += (uint16_t)(last - now); /* counts down, wraps at 0x10000 */
		last = now;
		if (spins == 100000 && !elapsed)
			return 0; /* no PIT: the counter never moves */
	}
	return (uk_rdtsc() - t0) * PIT_HZ / elapsed;
}

static uint8_t cmos(uint8_t reg)
{
	uk_outb(0x70, reg);
	return uk_inb(0x71);
}

static int bcd(int v, int binary) { return binary ? v : (v & 15) + (v >> 4) * 10; }

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static uint64_t rtc_read_ns(void)
{
	while (cmos(0x0a) & 0x80) /* update in progress */
		uk_arch_pause();
	int binary = cmos(0x0b) & 4;
	int s = bcd(cmos(0), binary), mi = bcd(cmos(2), binary), h = bcd(cmos(4) & 0x7f, binary);
	int d = bcd(cmos(7), binary), mo = bcd(cmos(8), binary), y = bcd(cmos(9), binary);
	int64_t days = days_from_civil(2000 + y, mo, d);
	return (uint64_t)(((days * 24 + h) * 60 + mi) * 60 + s) * 1000000000ULL;
}

static void clock_init(void)
{
	if (tsc_hz)
		return;
	tsc_hz = uk_arch_tsc_hz_cpuid();
	if (!tsc_hz)
		tsc_hz = calibrate_pit();
	if (!tsc_hz) {
		static const char warn[] = "unicore: no TSC frequency source: assuming 1 GHz\n";
		uk_plat_kernel_write(warn, sizeof(warn) - 1);
		tsc_hz = 1000000000ULL;
	}
	ns_mult = (1000000000ULL << 32) / tsc_hz;
	wall_base_tsc = uk_rdtsc();
	wall_base_ns = rtc_read_ns();
}

uint64_t uk_plat_cycles_to_ns(uint64_t cycles)
{
	clock_init();
	return (uint64_t)(((unsigned __int128)cycles * ns_mult) >> 32);
}

uint64_t uk_plat_monotonic_ns(void)
{
	clock_init();
	return uk_plat_cycles_to_ns(uk_rdtsc() - uk_arch_boot_cycles);
}

uint64_t uk_plat_wall_ns(void)
{
	clock_init();
	return wall_base_ns + uk_plat_cycles_to_ns(uk_rdtsc() - wall_base_tsc);
}

