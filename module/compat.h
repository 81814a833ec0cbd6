/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows how kernels from 5.10 to 6.12 differ. Feature
 * macros come from module/Kbuild, which greps the target's headers.
 */
#ifndef _DG_COMPAT_H
#define _DG_COMPAT_H

#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/ipv6.h>
#include <linux/ipv6.h>

/* The interface on which a socket's cached input route (sk_rx_dst) was learned. */
static inline int dg_sk_rx_dst_ifindex(const struct sock *sk)
{
#ifdef DG_HAVE_SK_RX_DST_IFINDEX
	return READ_ONCE(sk->sk_rx_dst_ifindex);
#else
	return READ_ONCE(inet_sk(sk)->rx_dst_ifindex);
#endif
}

/* The cookie dst_check() needs for the socket's cached IPv6 input route. */
static inline u32 dg_sk_rx_dst_cookie(const struct sock *sk)
{
#ifdef DG_HAVE_SK_RX_DST_COOKIE
	return READ_ONCE(sk->sk_rx_dst_cookie);
#elif IS_ENABLED(CONFIG_IPV6)
	return READ_ONCE(tcp_inet6_sk(sk)->rx_dst_cookie);
#else
	return 0;
#endif
}

/* The established-socket hash of @net (per namespace since 6.1). */
static inline struct inet_hashinfo *dg_tcp_hashinfo(struct net *net)
{
#if defined(DG_HAVE_TCP_DEATH_ROW_PTR)
	return net->ipv4.tcp_death_row->hashinfo;
#else
	return net->ipv4.tcp_death_row.hashinfo;
#endif
}

/* Added in 6.1; the same check, open-coded, for older kernels. */
#ifndef GENL_REQ_ATTR_CHECK
#define GENL_REQ_ATTR_CHECK(info, attr) ({				\
	struct genl_info *__info = (info);				\
	int __attr = (attr);						\
	int __retval = 0;						\
									\
	if (!__info->attrs[__attr]) {					\
		NL_SET_ERR_MSG(__info->extack,				\
			       "missing required attribute");		\
		__retval = 1;						\
	}								\
	__retval;							\
})
#endif

#endif /* _DG_COMPAT_H */
