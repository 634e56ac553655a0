/* The practical floor: the same walks and the same builder written by hand,
 * with no library, checking every length against the buffer. */
#include <string.h>

#include "common.h"

#define ALIGN4(x) (((x) + 3) & ~(size_t)3)
#define NLMSG_DONE_TYPE 3

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

struct walk_result c_walk(const uint8_t *buf, size_t len, size_t hdr)
{
	struct walk_result w = { 0, 0, 0 };
	size_t off = 0;

	while (len - off >= 16) {
		size_t mlen = rd32(buf + off);
		uint16_t mty = rd16(buf + off + 4);

		if (mlen < 16 || mlen > len - off)
			break;
		w.messages++;
		if (mty != NLMSG_DONE_TYPE) {
			size_t end = off + mlen;
			size_t a = off + 16 + ALIGN4(hdr);

			while (a + 4 <= end) {
				size_t alen = rd16(buf + a);
				uint16_t aty = rd16(buf + a + 2) & 0x3fff;

				if (alen < 4 || alen > end - a)
					break;
				w.attrs++;
				w.sum = fold(w.sum, aty, alen, alen > 4 ? buf[a + 4] : 0);
				a += ALIGN4(alen);
			}
		}
		off += ALIGN4(mlen);
		if (off > len)
			break;
	}
	return w;
}

static void c_walk_run(const uint8_t *buf, size_t start, size_t end, int ctx, int depth,
		       struct walk_result *w)
{
	size_t a = start;

	while (a + 4 <= end) {
		size_t alen = rd16(buf + a);
		uint16_t raw = rd16(buf + a + 2);
		int child;

		if (alen < 4 || alen > end - a)
			break;
		w->attrs++;
		w->sum = fold(w->sum, raw & 0x3fff, alen, alen > 4 ? buf[a + 4] : 0);
		child = child_ctx(ctx, raw);
		if (child >= 0 && depth < MAX_DEPTH)
			c_walk_run(buf, a + 4, a + alen, child, depth + 1, w);
		a += ALIGN4(alen);
	}
}

struct walk_result c_walk_nested(const uint8_t *buf, size_t len, size_t hdr)
{
	struct walk_result w = { 0, 0, 0 };
	size_t off = 0;

	while (len - off >= 16) {
		size_t mlen = rd32(buf + off);
		uint16_t mty = rd16(buf + off + 4);

		if (mlen < 16 || mlen > len - off)
			break;
		w.messages++;
		if (mty != NLMSG_DONE_TYPE)
			c_walk_run(buf, off + 16 + ALIGN4(hdr), off + mlen, CTX_ROOT, 0, &w);
		off += ALIGN4(mlen);
		if (off > len)
			break;
	}
	return w;
}

/* The builder: every item checks that it fits before it writes. */
struct cbuild {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int failed;
};

static inline void put(struct cbuild *b, uint16_t type, const void *data, size_t dlen)
{
	size_t len = 4 + dlen;
	size_t alen = ALIGN4(len);
	uint16_t len16 = (uint16_t)len;

	if (b->failed || dlen > 65531 || alen > b->cap - b->pos) {
		b->failed = 1;
		return;
	}
	memcpy(b->buf + b->pos, &len16, 2);
	memcpy(b->buf + b->pos + 2, &type, 2);
	memcpy(b->buf + b->pos + 4, data, dlen);
	memset(b->buf + b->pos + len, 0, alen - len);
	b->pos += alen;
}

static inline void put_u8(struct cbuild *b, uint16_t type, uint8_t v)
{
	put(b, type, &v, 1);
}

static inline void put_u32(struct cbuild *b, uint16_t type, uint32_t v)
{
	put(b, type, &v, 4);
}

static inline void put_strz(struct cbuild *b, uint16_t type, const char *s)
{
	put(b, type, s, strlen(s) + 1);
}

static inline size_t nest_start(struct cbuild *b, uint16_t type)
{
	size_t start = b->pos;

	put(b, type | 0x8000, NULL, 0);
	return start;
}

static inline void nest_end(struct cbuild *b, size_t start)
{
	uint16_t len = (uint16_t)(b->pos - start);

	if (!b->failed)
		memcpy(b->buf + start, &len, 2);
}

size_t c_build_newlink(uint8_t *buf, size_t cap)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t group[4] = { 239, 1, 1, 1 };
	struct cbuild b = { buf, cap, 32, 0 };
	uint16_t port = __builtin_bswap16(4789);
	uint32_t len32;
	size_t info, data;

	if (cap < 32)
		return 0;
	/* nlmsghdr: len (patched below), RTM_NEWLINK, NLM_F_REQUEST|NLM_F_ACK, seq 1, pid 0 */
	memcpy(buf, (const uint8_t[16]){ 0, 0, 0, 0, 16, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, 16);
	memset(buf + 16, 0, 16); /* ifinfomsg */
	put_strz(&b, 3, "vxlan100");
	put_u32(&b, 4, 1450);
	put(&b, 1, mac, sizeof mac);
	put_u32(&b, 5, 2);
	put_u32(&b, 13, 1000);
	put_u8(&b, 16, 6);
	info = nest_start(&b, 18);
	put_strz(&b, 1, "vxlan");
	data = nest_start(&b, 2);
	put_u32(&b, 1, 100);
	put(&b, 2, group, sizeof group);
	put_u32(&b, 3, 2);
	put(&b, 15 | 0x4000, &port, 2);
	put_u8(&b, 5, 64);
	nest_end(&b, data);
	nest_end(&b, info);
	if (b.failed)
		return 0;
	len32 = (uint32_t)b.pos;
	memcpy(buf, &len32, 4);
	return b.pos;
}

/* The builder run `n` times from C, so that timing it pays no call across
 * the FFI per message: the harness times one call of this and divides by
 * `n`, and times the Rust builder in the same kind of loop in Rust. The
 * empty asm makes each run write the buffer anew, as a separate call
 * would (the same barrier as Rust's `black_box`). Returns the sum of the
 * lengths. */
size_t c_build_newlink_loop(uint8_t *buf, size_t cap, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		__asm__ volatile("" : "+r"(buf) : : "memory");
		total += c_build_newlink(buf, cap);
	}
	return total;
}
