/* The raw floor of the threaded round trip (benches/throughput.rs): an
 * echo server that answers every datagram with fixed bytes, and client
 * threads that each ping-pong on a socket of their own, over
 * NETLINK_USERSOCK or Unix datagrams.
 * Plain sendto/recvfrom, nothing parsed: whatever the peer adds on top of
 * this is its own cost. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#define PP_BUF 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The context switches of this process so far, all its threads (ended
 * ones too), voluntary and not: getrusage(RUSAGE_SELF). -errno on
 * failure. */
int64_t pp_context_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -errno;
	return (int64_t)ru.ru_nvcsw + (int64_t)ru.ru_nivcsw;
}

/* Opens a NETLINK_USERSOCK socket bound to a kernel-assigned port, with a
 * receive timeout of `timeout_ms` (0: none) so that a lost datagram fails
 * instead of hanging. Returns the descriptor (and the port in `*port`) or
 * -errno. */
int pp_open(uint32_t *port, int timeout_ms)
{
	struct sockaddr_nl addr;
	socklen_t alen = sizeof(addr);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_USERSOCK);

	if (fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &alen) < 0)
		goto fail;
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			goto fail;
	}
	*port = addr.nl_pid;
	return fd;
fail:;
	int e = errno;

	close(fd);
	return -e;
}

/* Opens a Unix datagram socket bound to `path` (removed first if it
 * exists). Returns the descriptor or -errno. */
int pp_unix_open(const char *path)
{
	struct sockaddr_un addr;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* A Unix datagram client socket, auto-bound to an abstract name so that
 * the server can answer it, with the receive timeout of pp_open. */
static int pp_unix_client(int timeout_ms)
{
	sa_family_t family = AF_UNIX;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&family, sizeof(family)) < 0)
		goto fail;
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			goto fail;
	}
	return fd;
fail:;
	int e = errno;

	close(fd);
	return -e;
}

/* The echo server's loop on `fd` (from pp_open or pp_unix_open): every
 * datagram from another netlink port or a bound Unix socket is answered with `response`. Returns -errno when a system
 * call fails; runs until then. */
int pp_echo_serve(int fd, const uint8_t *response, size_t len)
{
	uint8_t buf[PP_BUF];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);

		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (from.ss_family == AF_NETLINK) {
			struct sockaddr_nl *nl = (struct sockaddr_nl *)&from;

			if (nl->nl_pid == 0)
				continue; /* the kernel */
			nl->nl_groups = 0;
		} else if (flen <= sizeof(sa_family_t)) {
			continue; /* an unbound Unix sender: no address to answer */
		}
		if (sendto(fd, response, len, 0, (struct sockaddr *)&from, flen) < 0 &&
		    errno != EINTR && errno != ECONNREFUSED && errno != ENOENT)
			return -errno;
	}
}

struct pp_run {
	struct sockaddr_storage to;
	socklen_t tolen;
	const uint8_t *request;
	size_t len;
	size_t calls;
	pthread_mutex_t lock;
	pthread_cond_t go_cond;
	int go;
};

struct pp_thread {
	struct pp_run *run;
	uint64_t *lat; /* calls entries */
	int fd;
	uint32_t port;
	int err; /* 0 or an errno */
	pthread_t id;
};

static void *pp_client(void *arg)
{
	struct pp_thread *t = arg;
	struct pp_run *run = t->run;
	uint8_t request[PP_BUF];
	uint8_t buf[PP_BUF];
	uint32_t be = htonl(t->port);

	memcpy(request, run->request, run->len);
	memcpy(request + 12, &be, 4); /* nlmsg_pid, big-endian as ProcsLink writes it */
	pthread_mutex_lock(&run->lock);
	while (!run->go)
		pthread_cond_wait(&run->go_cond, &run->lock);
	pthread_mutex_unlock(&run->lock);
	for (size_t i = 0; i < run->calls; i++) {
		uint64_t t0 = now_ns();

		if (sendto(t->fd, request, run->len, 0, (struct sockaddr *)&run->to, run->tolen) < 0 ||
		    recv(t->fd, buf, sizeof(buf), 0) < 0) {
			t->err = errno;
			return NULL;
		}
		t->lat[i] = now_ns() - t0;
	}
	return NULL;
}

/* Runs `threads` client threads against the echo server at `to`, each on
 * its own socket (netlink when `to` is, else Unix) making
 * `calls` round trips of `request` (its nlmsg_pid set to the thread's
 * netlink port, 0 on Unix) and writing each call's latency in ns to
 * `lat[thread * calls + call]`. All start together. Returns the wall time
 * in ns from the start to the last thread's end, or -errno (the first
 * failure: a socket, a thread, a send, or a receive that timed out after
 * `timeout_ms`). */
static int64_t pp_run_clients(const struct sockaddr_storage *to, socklen_t tolen,
			      const uint8_t *request, size_t len, size_t threads, size_t calls,
			      uint64_t *lat, int timeout_ms)
{
	struct pp_run run = { *to, tolen, request, len, calls, PTHREAD_MUTEX_INITIALIZER,
			      PTHREAD_COND_INITIALIZER, 0 };
	struct pp_thread *t;
	size_t opened = 0, made = 0;
	int64_t result = 0;
	uint64_t start, end;

	if (len < 16 || len > PP_BUF || threads == 0)
		return -EINVAL;
	t = calloc(threads, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (; opened < threads; opened++) {
		t[opened].run = &run;
		t[opened].lat = lat + opened * calls;
		t[opened].fd = run.to.ss_family == AF_NETLINK ?
				       pp_open(&t[opened].port, timeout_ms) :
				       pp_unix_client(timeout_ms);
		if (t[opened].fd < 0) {
			result = t[opened].fd;
			goto close;
		}
	}
	for (; made < threads; made++) {
		int e = pthread_create(&t[made].id, NULL, pp_client, &t[made]);

		if (e != 0) {
			result = -e;
			break;
		}
	}
	/* Every thread made waits for this; those made run even when a later
	 * one could not be, and are joined. */
	pthread_mutex_lock(&run.lock);
	run.go = 1;
	start = now_ns();
	pthread_cond_broadcast(&run.go_cond);
	pthread_mutex_unlock(&run.lock);
	for (size_t i = 0; i < made; i++)
		pthread_join(t[i].id, NULL);
	end = now_ns();
	if (result == 0) {
		result = (int64_t)(end - start);
		for (size_t i = 0; i < threads; i++) {
			if (t[i].err) {
				result = -t[i].err;
				break;
			}
		}
	}
close:
	for (size_t i = 0; i < opened; i++)
		close(t[i].fd);
	free(t);
	return result;
}

/* pp_run_clients against the netlink echo server at port `server`. */
int64_t pp_clients(uint32_t server, const uint8_t *request, size_t len, size_t threads,
		   size_t calls, uint64_t *lat, int timeout_ms)
{
	struct sockaddr_storage to;
	struct sockaddr_nl *nl = (struct sockaddr_nl *)&to;

	memset(&to, 0, sizeof(to));
	nl->nl_family = AF_NETLINK;
	nl->nl_pid = server;
	return pp_run_clients(&to, sizeof(*nl), request, len, threads, calls, lat, timeout_ms);
}

/* pp_run_clients against the Unix echo server bound to `path`. */
int64_t pp_unix_clients(const char *path, const uint8_t *request, size_t len, size_t threads,
			size_t calls, uint64_t *lat, int timeout_ms)
{
	struct sockaddr_storage to;
	struct sockaddr_un *un = (struct sockaddr_un *)&to;

	memset(&to, 0, sizeof(to));
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	return pp_run_clients(&to, sizeof(*un), request, len, threads, calls, lat, timeout_ms);
}
