/* Entropy (core): RDRAND when the CPU has it, else xorshift64* seeded from the TSC, which is
 * unpredictable enough for AT_RANDOM and hash seeds, not for cryptography. */
#include <uk/arch.h>
#include <uk/core.h>

static uint64_t state;

static uint64_t next_word(void)
{
	uint64_t v;

	if (uk_arch_rdrand64(&v))
		return v;
	if (!state)
		state = uk_arch_cycles() * 0x9e3779b97f4a7c15ULL | 1;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (state * 0x2545f4914f6cdd1dULL) ^ uk_arch_cycles();
}

void uk_core_random_fill(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t w = next_word();
		size_t n = len < 8 ? len : 8;
		memcpy(p, &w, n);
		p += n;
		len -= n;
	}
}
