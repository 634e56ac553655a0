/* Shared by the C contenders: the result of a walk and the checksum fold.
 * The fold must stay identical to `fold` in src/netlink.rs. */
#ifndef PROCSLINK_BENCH_COMMON_H
#define PROCSLINK_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

struct walk_result {
	uint64_t messages;
	uint64_t attrs;
	uint64_t sum;
};

static inline uint64_t fold(uint64_t sum, uint16_t ty, size_t len, uint8_t first)
{
	return sum * 31 + ((uint64_t)ty ^ ((uint64_t)len << 16) ^ ((uint64_t)first << 40));
}

/* Where the nested walk descends (see `Ctx` in src/netlink.rs). */
enum ctx { CTX_ROOT, CTX_LINKINFO, CTX_AFSPEC, CTX_OTHER };
#define MAX_DEPTH 4

static inline int child_ctx(int ctx, uint16_t raw_type)
{
	uint16_t kind = raw_type & 0x3fff;
	switch (ctx) {
	case CTX_ROOT:
		if (kind == 18) /* IFLA_LINKINFO */
			return CTX_LINKINFO;
		if (kind == 26) /* IFLA_AF_SPEC */
			return CTX_AFSPEC;
		if (kind == 43 || kind == 52) /* IFLA_XDP, IFLA_PROP_LIST */
			return CTX_OTHER;
		break;
	case CTX_LINKINFO:
		if (kind == 2 || kind == 5) /* IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA */
			return CTX_OTHER;
		break;
	case CTX_AFSPEC: /* one nest per address family */
		return CTX_OTHER;
	default:
		break;
	}
	return (raw_type & 0x8000) ? CTX_OTHER : -1; /* NLA_F_NESTED */
}

#endif
