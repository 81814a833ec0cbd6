/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows how kernels from 5.10 to 7.x differ. Feature
 * macros come from module/Kbuild, which greps the target's headers (never
 * the version number: distributions backport).
 */
#ifndef _DG_COMPAT_H
#define _DG_COMPAT_H

#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/ipv6.h>
#include <linux/ipv6.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>

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
	/* tcp_inet6_sk() is private to tcp_ipv6.c before 5.15. */
	return READ_ONCE(inet6_sk(sk)->rx_dst_cookie);
#else
	return 0;
#endif
}

/* The device index of an L3 master (VRF) @skb came through, or 0. */
static inline int dg_inet_sdif(const struct sk_buff *skb)
{
#ifdef DG_HAVE_INET_SDIF_CONST
	return inet_sdif(skb);
#else
	/* Before 5.11 it takes a non-const skb, which it only reads. */
	return inet_sdif((struct sk_buff *)skb);
#endif
}

#if defined(DG_HAVE_LOOKUP_HASHINFO) || defined(DG_HAVE_LOOKUP6_HASHINFO)
/* The established-socket hash of @net (per namespace since 6.1). */
static inline struct inet_hashinfo *dg_tcp_hashinfo(struct net *net)
{
#if defined(DG_HAVE_TCP_DEATH_ROW_PTR)
	return net->ipv4.tcp_death_row->hashinfo;
#else
	return net->ipv4.tcp_death_row.hashinfo;
#endif
}
#endif

/*
 * The established TCP socket of a 4-tuple, with a reference held (or a
 * timewait/request socket, as __inet_lookup_established() returns them).
 * Since 6.18 the lookup helpers find the namespace's hash themselves and
 * take no hashinfo argument.
 */
static inline struct sock *
dg_inet_lookup_established(struct net *net, __be32 saddr, __be16 sport,
			   __be32 daddr, u16 hnum, int dif, int sdif)
{
#ifdef DG_HAVE_LOOKUP_HASHINFO
	return __inet_lookup_established(net, dg_tcp_hashinfo(net), saddr, sport,
					 daddr, hnum, dif, sdif);
#else
	return __inet_lookup_established(net, saddr, sport, daddr, hnum, dif, sdif);
#endif
}

#if IS_ENABLED(CONFIG_IPV6)
static inline struct sock *
dg_inet6_lookup_established(struct net *net, const struct in6_addr *saddr,
			    __be16 sport, const struct in6_addr *daddr, u16 hnum,
			    int dif, int sdif)
{
#ifdef DG_HAVE_LOOKUP6_HASHINFO
	return __inet6_lookup_established(net, dg_tcp_hashinfo(net), saddr, sport,
					  daddr, hnum, dif, sdif);
#else
	return __inet6_lookup_established(net, saddr, sport, daddr, hnum, dif, sdif);
#endif
}
#endif

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
