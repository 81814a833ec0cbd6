/* SPDX-License-Identifier: GPL-2.0 */
/* The "demuxguard" generic netlink family. See netlink.c. */
#ifndef _DG_NETLINK_H
#define _DG_NETLINK_H

int dg_genl_init(void);
void dg_genl_exit(void);

#endif /* _DG_NETLINK_H */
