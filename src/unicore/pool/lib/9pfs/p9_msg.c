/* 9P message encoding and decoding (little-endian fields, strings as len[2] + bytes).
 * Pure code with no kernel dependency: tests/fs/test_9p_host.py checks it against frames. */
#include <uk/9pfs.h>

static int room(struct uk_9pfs_msg *m, uint32_t n)
{
	if (m->err || m->pos + n > m->cap || m->pos + n < m->pos) {
		m->err = 1;
		return 0;
	}
	return 1;
}

void uk_9pfs_put8(struct uk_9pfs_msg *m, uint8_t v)
{
	if (room(m, 1))
		m->buf[m->pos++] = v;
}

void uk_9pfs_put16(struct uk_9pfs_msg *m, uint16_t v)
{
	uk_9pfs_put8(m, (uint8_t)v);
	uk_9pfs_put8(m, (uint8_t)(v >> 8));
}

void uk_9pfs_put32(struct uk_9pfs_msg *m, uint32_t v)
{
	uk_9pfs_put16(m, (uint16_t)v);
	uk_9pfs_put16(m, (uint16_t)(v >> 16));
}

void uk_9pfs_put64(struct uk_9pfs_msg *m, uint64_t v)
{
	uk_9pfs_put32(m, (uint32_t)v);
	uk_9pfs_put32(m, (uint32_t)(v >> 32));
}

void uk_9pfs_putbytes(struct uk_9pfs_msg *m, const void *p, uint32_t n)
{
	if (room(m, n)) {
		uk_vfs_memcpy(m->buf + m->pos, p, n);
		m->pos += n;
	}
}

void uk_9pfs_putstr(struct uk_9pfs_msg *m, const char *s)
{
	size_t n = uk_vfs_strlen(s);

	if (n > 0xffff) {
		m->err = 1;
		return;
	}
	uk_9pfs_put16(m, (uint16_t)n);
	uk_9pfs_putbytes(m, s, (uint32_t)n);
}

void uk_9pfs_begin(struct uk_9pfs_msg *m, uint8_t type, uint16_t tag)
{
	m->pos = 0;
	m->err = 0;
	uk_9pfs_put32(m, 0);
	uk_9pfs_put8(m, type);
	uk_9pfs_put16(m, tag);
}

void uk_9pfs_finish(struct uk_9pfs_msg *m)
{
	uint32_t end = m->pos;

	m->len = end;
	m->pos = 0;
	if (m->cap >= 4)
		uk_9pfs_put32(m, end);
	m->pos = end;
}

int uk_9pfs_open_reply(struct uk_9pfs_msg *m, uint32_t len)
{
	uint32_t size;

	m->pos = 0;
	m->err = 0;
	m->len = len < m->cap ? len : m->cap;
	if (m->len < UK_P9_HDR)
		return -EIO;
	size = (uint32_t)m->buf[0] | (uint32_t)m->buf[1] << 8 | (uint32_t)m->buf[2] << 16 |
	       (uint32_t)m->buf[3] << 24;
	if (size < UK_P9_HDR || size > m->len)
		return -EIO;
	m->len = size;
	m->pos = 7;
	return m->buf[4];
}

static int have(struct uk_9pfs_msg *m, uint32_t n)
{
	if (m->err || m->pos + n > m->len || m->pos + n < m->pos) {
		m->err = 1;
		return 0;
	}
	return 1;
}

uint8_t uk_9pfs_get8(struct uk_9pfs_msg *m)
{
	return have(m, 1) ? m->buf[m->pos++] : 0;
}

uint16_t uk_9pfs_get16(struct uk_9pfs_msg *m)
{
	uint16_t lo = uk_9pfs_get8(m);

	return (uint16_t)(lo | uk_9pfs_get8(m) << 8);
}

uint32_t uk_9pfs_get32(struct uk_9pfs_msg *m)
{
	uint32_t lo = uk_9pfs_get16(m);

	return lo | (uint32_t)uk_9pfs_get16(m) << 16;
}

uint64_t uk_9pfs_get64(struct uk_9pfs_msg *m)
{
	uint64_t lo = uk_9pfs_get32(m);

	return lo | (uint64_t)uk_9pfs_get32(m) << 32;
}

const char *uk_9pfs_getstr(struct uk_9pfs_msg *m, uint16_t *n)
{
	const char *s;

	*n = uk_9pfs_get16(m);
	if (!have(m, *n)) {
		*n = 0;
		return "";
	}
	s = (const char *)m->buf + m->pos;
	m->pos += *n;
	return s;
}

void uk_9pfs_getqid(struct uk_9pfs_msg *m, struct uk_9pfs_qid *q)
{
	q->type = uk_9pfs_get8(m);
	q->version = uk_9pfs_get32(m);
	q->path = uk_9pfs_get64(m);
}
