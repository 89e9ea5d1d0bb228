/* Host harness for 9pfs's message layer (p9_msg.c): encodes a few T-messages and prints them
 * in hex, then decodes reply frames given in hex on the command line and prints the fields.
 * tests/fs/test_9p_host.py builds the expected frames independently with struct.pack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/9pfs.h>

static void hex(const char *what, struct uk_9pfs_msg *m)
{
	printf("%s err=%d ", what, m->err);
	for (uint32_t i = 0; i < m->len; i++)
		printf("%02x", m->buf[i]);
	printf("\n");
}

static void encode(void)
{
	uint8_t buf[64], small[16];
	struct uk_9pfs_msg m = { buf, sizeof(buf), 0, 0, 0 };

	uk_9pfs_begin(&m, UK_P9_TVERSION, UK_P9_NOTAG);
	uk_9pfs_put32(&m, 69632);
	uk_9pfs_putstr(&m, "9P2000.L");
	uk_9pfs_finish(&m);
	hex("Tversion", &m);
	uk_9pfs_begin(&m, UK_P9_TWALK, 1);
	uk_9pfs_put32(&m, 7);
	uk_9pfs_put32(&m, 8);
	uk_9pfs_put16(&m, 1);
	uk_9pfs_putstr(&m, "etc");
	uk_9pfs_finish(&m);
	hex("Twalk", &m);
	uk_9pfs_begin(&m, UK_P9_TREAD, 1);
	uk_9pfs_put32(&m, 9);
	uk_9pfs_put64(&m, 0x1122334455667788ULL);
	uk_9pfs_put32(&m, 4096);
	uk_9pfs_finish(&m);
	hex("Tread", &m);
	m.buf = small, m.cap = sizeof(small);
	uk_9pfs_begin(&m, UK_P9_TWALK, 1);
	uk_9pfs_putstr(&m, "a-name-longer-than-the-buffer");
	uk_9pfs_finish(&m);
	printf("overflow err=%d\n", m.err);
}

static int unhex(const char *s, uint8_t *out)
{
	int n = 0;

	for (; s[0] && s[1]; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

static void decode(const char *frame)
{
	uint8_t buf[512];
	struct uk_9pfs_msg m = { buf, sizeof(buf), 0, 0, 0 };
	int len = unhex(frame, buf), type = uk_9pfs_open_reply(&m, (uint32_t)len);
	struct uk_9pfs_qid q;
	uint16_t n;
	const char *s;

	printf("type=%d", type);
	if (type == UK_P9_RVERSION) {
		uint32_t msize = uk_9pfs_get32(&m);
		s = uk_9pfs_getstr(&m, &n);
		printf(" msize=%u version=%.*s", msize, n, s);
	} else if (type == UK_P9_RLERROR) {
		printf(" ecode=%u", uk_9pfs_get32(&m));
	} else if (type == UK_P9_RWALK) {
		n = uk_9pfs_get16(&m);
		printf(" nwqid=%u", n);
		while (n--) {
			uk_9pfs_getqid(&m, &q);
			printf(" qid=%u/%u/%llx", q.type, q.version, (unsigned long long)q.path);
		}
	} else if (type == UK_P9_RREADLINK) {
		s = uk_9pfs_getstr(&m, &n);
		printf(" target=%.*s", n, s);
	}
	printf(" err=%d\n", m.err);
}

int main(int argc, char **argv)
{
	encode();
	for (int i = 1; i < argc; i++)
		decode(argv[i]);
	return 0;
}
