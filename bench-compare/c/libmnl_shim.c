/* libmnl as its users write it: mnl_nlmsg_ok/next, mnl_attr_for_each,
 * mnl_attr_parse with a validating callback, mnl_attr_put*. */
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "common.h"

struct walk_result mnl_walk(const uint8_t *buf, size_t len, size_t hdr)
{
	struct walk_result w = { 0, 0, 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;

	while (mnl_nlmsg_ok(nlh, rem)) {
		w.messages++;
		if (nlh->nlmsg_type != NLMSG_DONE) {
			const struct nlattr *attr;

			mnl_attr_for_each(attr, nlh, hdr) {
				uint16_t plen = mnl_attr_get_payload_len(attr);
				const uint8_t *p = mnl_attr_get_payload(attr);

				w.attrs++;
				w.sum = fold(w.sum, mnl_attr_get_type(attr), mnl_attr_get_len(attr),
					     plen ? p[0] : 0);
			}
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return w;
}

static void mnl_walk_nest(const struct nlattr *nest, int ctx, int depth, struct walk_result *w)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		uint16_t plen = mnl_attr_get_payload_len(attr);
		const uint8_t *p = mnl_attr_get_payload(attr);
		int child = child_ctx(ctx, attr->nla_type);

		w->attrs++;
		w->sum = fold(w->sum, mnl_attr_get_type(attr), mnl_attr_get_len(attr), plen ? p[0] : 0);
		if (child >= 0 && depth < MAX_DEPTH)
			mnl_walk_nest(attr, child, depth + 1, w);
	}
}

struct walk_result mnl_walk_nested(const uint8_t *buf, size_t len, size_t hdr)
{
	struct walk_result w = { 0, 0, 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;

	while (mnl_nlmsg_ok(nlh, rem)) {
		w.messages++;
		if (nlh->nlmsg_type != NLMSG_DONE) {
			const struct nlattr *attr;

			mnl_attr_for_each(attr, nlh, hdr) {
				uint16_t plen = mnl_attr_get_payload_len(attr);
				const uint8_t *p = mnl_attr_get_payload(attr);
				int child = child_ctx(CTX_ROOT, attr->nla_type);

				w.attrs++;
				w.sum = fold(w.sum, mnl_attr_get_type(attr), mnl_attr_get_len(attr),
					     plen ? p[0] : 0);
				if (child >= 0)
					mnl_walk_nest(attr, child, 1, &w);
			}
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return w;
}

/* The policy of `LINK` in src/netlink.rs, as an iproute2-style callback. */
#define TB_SLOTS 64

static int noop_cb(const struct nlattr *attr, void *data)
{
	(void)attr;
	(void)data;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case IFLA_ADDRESS:
	case IFLA_BROADCAST:
		if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(attr) > IFNAMSIZ)
			return MNL_CB_ERROR;
		break;
	case IFLA_MTU:
	case IFLA_LINK:
	case IFLA_MASTER:
	case IFLA_TXQLEN:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_OPERSTATE:
	case IFLA_LINKMODE:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    mnl_attr_parse_nested(attr, noop_cb, NULL) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	if (type < TB_SLOTS)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* What a consumer reads after the parse (see `policy_consume` in
 * src/netlink.rs): a few entries of the table. */
static const uint16_t READ[] = { IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE, IFLA_LINKINFO };

static uint64_t consume(const struct nlattr **tb, uint64_t sum)
{
	for (size_t i = 0; i < sizeof READ / sizeof READ[0]; i++) {
		const struct nlattr *a = tb[READ[i]];

		if (a) {
			const uint8_t *p = mnl_attr_get_payload(a);

			sum = fold(sum, mnl_attr_get_type(a), mnl_attr_get_len(a),
				   mnl_attr_get_payload_len(a) ? p[0] : 0);
		}
	}
	return sum;
}

/* Parses every RTM_NEWLINK of a link dump into tb[]; `full` folds every
 * present slot (for the check before timing), otherwise only READ. */
struct walk_result mnl_policy_parse(const uint8_t *buf, size_t len, int full)
{
	struct walk_result w = { 0, 0, 0 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;

	while (mnl_nlmsg_ok(nlh, rem)) {
		if (nlh->nlmsg_type == RTM_NEWLINK) {
			const struct nlattr *tb[TB_SLOTS] = { 0 };

			if (mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, tb) < 0)
				return w;
			w.messages++;
			if (full) {
				for (int t = 0; t < TB_SLOTS; t++) {
					if (tb[t]) {
						const uint8_t *p = mnl_attr_get_payload(tb[t]);

						w.attrs++;
						w.sum = fold(w.sum, t, mnl_attr_get_len(tb[t]),
							     mnl_attr_get_payload_len(tb[t]) ? p[0] : 0);
					}
				}
			} else {
				w.sum = consume(tb, w.sum);
			}
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return w;
}

static const uint8_t MAC[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t GROUP[4] = { 239, 1, 1, 1 };

/* The unchecked API (the caller promises the buffer is large enough). */
size_t mnl_build_newlink(uint8_t *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *info, *data;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "vxlan100");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1450);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof MAC, MAC);
	mnl_attr_put_u32(nlh, IFLA_LINK, 2);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 1000);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, 100);
	mnl_attr_put(nlh, IFLA_VXLAN_GROUP, sizeof GROUP, GROUP);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, 2);
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT | NLA_F_NET_BYTEORDER, htons(4789));
	mnl_attr_put_u8(nlh, IFLA_VXLAN_TTL, 64);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh->nlmsg_len;
}

/* The *_check API: every put checks the buffer's size, as procslink does. */
size_t mnl_build_newlink_check(uint8_t *buf, size_t cap)
{
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg)))
		return 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	if (!mnl_attr_put_strz_check(nlh, cap, IFLA_IFNAME, "vxlan100") ||
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_MTU, 1450) ||
	    !mnl_attr_put_check(nlh, cap, IFLA_ADDRESS, sizeof MAC, MAC) ||
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_LINK, 2) ||
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_TXQLEN, 1000) ||
	    !mnl_attr_put_u8_check(nlh, cap, IFLA_OPERSTATE, 6))
		return 0;
	info = mnl_attr_nest_start_check(nlh, cap, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, cap, IFLA_INFO_KIND, "vxlan"))
		return 0;
	data = mnl_attr_nest_start_check(nlh, cap, IFLA_INFO_DATA);
	if (!data || !mnl_attr_put_u32_check(nlh, cap, IFLA_VXLAN_ID, 100) ||
	    !mnl_attr_put_check(nlh, cap, IFLA_VXLAN_GROUP, sizeof GROUP, GROUP) ||
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_VXLAN_LINK, 2) ||
	    !mnl_attr_put_u16_check(nlh, cap, IFLA_VXLAN_PORT | NLA_F_NET_BYTEORDER, htons(4789)) ||
	    !mnl_attr_put_u8_check(nlh, cap, IFLA_VXLAN_TTL, 64))
		return 0;
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh->nlmsg_len;
}
