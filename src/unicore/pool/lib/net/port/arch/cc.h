/* lwIP's architecture header for unicore (x86_64, freestanding kernel): byte order, no libc
 * headers lwIP could otherwise reach for, and its diagnostics on the kernel log. */
#ifndef UK_NET_ARCH_CC_H
#define UK_NET_ARCH_CC_H

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_CTYPE_H 1
typedef long ssize_t;
#define SSIZE_MAX 0x7fffffffffffffffL
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

void uk_net_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void uk_net_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_DIAG(x) do { uk_net_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) uk_net_assert((x), __FILE__, __LINE__)
#endif
