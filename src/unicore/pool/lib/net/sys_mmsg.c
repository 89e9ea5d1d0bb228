/* net: sendmmsg and recvmmsg, as a loop of sendmsg / recvmsg over the vector (Linux's
 * semantics: the count of messages done, or the error when the first fails; MSG_WAITFORONE
 * makes every receive after the first non-blocking; recvmmsg's timeout is checked after each
 * message, as Linux does). */
#include <uk/syscall.h>
#include "net_priv.h"

#define UIO_MAXIOV 1024
#define MSG_WAITFORONE 0x10000

struct mmsghdr_k {
	struct msghdr_k hdr;
	uint32_t len;
};

struct timespec_k {
	int64_t sec, nsec;
};

UK_SYSCALL_DECL(sendmsg);
UK_SYSCALL_DECL(recvmsg);

UK_SYSCALL(sendmmsg)
{
	struct mmsghdr_k *v = (void *)(uintptr_t)a1;
	unsigned vlen = (unsigned)a2 > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)a2;
	unsigned i;

	if (vlen && !v)
		return -EFAULT;
	for (i = 0; i < vlen; i++) {
		long n = uk_sys_sendmsg(a0, (long)(uintptr_t)&v[i].hdr, a3, 0, 0, 0);
		if (n < 0)
			return i ? (long)i : n;
		v[i].len = (uint32_t)n;
	}
	return (long)i;
}

static long deadline_of(const struct timespec_k *t, uint64_t *deadline)
{
	if (!t)
		return 0;
	if (t->sec < 0 || t->nsec < 0 || t->nsec >= 1000000000)
		return -EINVAL;
	*deadline = uk_plat_monotonic_ns() + (uint64_t)t->sec * 1000000000ULL + (uint64_t)t->nsec;
	return 0;
}

UK_SYSCALL(recvmmsg)
{
	struct mmsghdr_k *v = (void *)(uintptr_t)a1;
	unsigned vlen = (unsigned)a2 > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)a2;
	long flags = a3 & ~MSG_WAITFORONE, err;
	uint64_t deadline = 0;
	unsigned i;

	if (vlen && !v)
		return -EFAULT;
	if ((err = deadline_of((const void *)(uintptr_t)a4, &deadline)))
		return err;
	for (i = 0; i < vlen; i++) {
		long n = uk_sys_recvmsg(a0, (long)(uintptr_t)&v[i].hdr, flags, 0, 0, 0);
		if (n < 0)
			return i ? (long)i : n;
		v[i].len = (uint32_t)n;
		if (a3 & MSG_WAITFORONE)
			flags |= UK_MSG_DONTWAIT;
		if (deadline && uk_plat_monotonic_ns() >= deadline) {
			i++;
			break;
		}
	}
	return (long)i;
}
