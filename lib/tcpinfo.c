/*
 * tcpinfo.c: what the kernel knows of a TCP connection's progress, apart
 * from session.c, as <linux/tcp.h> and <netinet/tcp.h> do not go together.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/tcp.h>

#include "xt.h"

int
xt_net_peer_window(int fd, uint32_t *wnd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	*wnd = 0;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_snd_wnd) +
	    sizeof(ti.tcpi_snd_wnd))
		return -1;	/* a kernel before 5.4 does not say */
	*wnd = ti.tcpi_snd_wnd;
	return 0;
}
