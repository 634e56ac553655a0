/* The floor of a kernel dump: a NETLINK_ROUTE socket that sends the dump
 * request and receives until NLMSG_DONE, looking at nothing but each
 * message's header (to find the end). Whatever a codec adds on top of
 * this is its own cost; this is the kernel's (and the system calls'). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

/* Opens and binds a NETLINK_ROUTE socket with the options procslink's
 * KernelSocket sets (extended acks, strict checking of dump requests), so
 * that the kernel does the same work for both. Returns the descriptor or
 * -errno. */
int raw_dump_open(void)
{
	struct sockaddr_nl addr;
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	return fd;
}

void raw_dump_close(int fd)
{
	close(fd);
}

/* Sends the dump request `req` (one netlink message; its sequence number
 * is set to `seq`, and NLM_F_REQUEST | NLM_F_DUMP to its flags, as
 * KernelSocket::dump does) and receives every datagram of the answer into
 * `buf`, until the message that ends the dump. Counts messages and bytes.
 * Returns 0, or -errno (a send or receive failed, or the kernel answered
 * with an error). */
int raw_dump(int fd, const uint8_t *req, size_t req_len, uint32_t seq,
	     uint8_t *buf, size_t cap, uint64_t *messages, uint64_t *bytes)
{
	struct sockaddr_nl kernel;
	uint8_t out[256];
	uint16_t flags;

	if (req_len > sizeof(out) || req_len < sizeof(struct nlmsghdr))
		return -EINVAL;
	memcpy(out, req, req_len);
	memcpy(&flags, out + 6, 2);
	flags |= NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(out + 6, &flags, 2);
	memcpy(out + 8, &seq, 4);
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(fd, out, req_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	*messages = 0;
	*bytes = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*bytes += (uint64_t)n;
		while ((size_t)n - off >= sizeof(struct nlmsghdr)) {
			struct nlmsghdr h;

			memcpy(&h, buf + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)n - off)
				return -EBADMSG;
			if (h.nlmsg_type == NLMSG_DONE)
				return 0;
			if (h.nlmsg_type == NLMSG_ERROR)
				return -EPROTO;
			*messages += 1;
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
}
