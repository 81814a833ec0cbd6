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

/* The interface on which a socket's cached input route (sk_rx_dst) was learned. */
static inline int dg_sk_rx_dst_ifindex(const struct sock *sk)
{
#ifdef DG_HAVE_SK_RX_DST_IFINDEX
	return READ_ONCE(sk->sk_rx_dst_ifindex);
#else
	return READ_ONCE(inet_sk(sk)->rx_dst_ifindex);
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
