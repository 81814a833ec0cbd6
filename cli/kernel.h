/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel.h - the demuxguard generic netlink requests: one function per
 * command of the uapi (module/uapi/demuxguard.h), filling model.h structs,
 * and the decoders of the module's DEV, RULE and status messages (public
 * so the unit tests can feed them hand-built messages).
 *
 * Every function returns 0, or -1 with nl->err describing the failure.
 * @ifname arguments may be NULL where the uapi makes the device optional.
 */
#ifndef DG_KERNEL_H
#define DG_KERNEL_H

#include <linux/netlink.h>
#include <stdint.h>

#include "model.h"
#include "netlink.h"

int dg_get_status(struct dg_nl *nl, struct dg_status *st);
/* GET_DEV: one interface (do), or all with policy (dump) if !ifname. */
int dg_get_devs(struct dg_nl *nl, const char *ifname, struct dg_dev_list *out);
/* GET_STATS: same, with counters. */
int dg_get_stats(struct dg_nl *nl, const char *ifname, struct dg_dev_list *out);
int dg_set_dev(struct dg_nl *nl, const char *ifname, uint8_t mode);
int dg_unset_dev(struct dg_nl *nl, const char *ifname);
int dg_add_rule(struct dg_nl *nl, const char *prefix, uint8_t mode);
int dg_del_rule(struct dg_nl *nl, const char *prefix);
int dg_get_rules(struct dg_nl *nl, struct dg_rule_list *out);
int dg_reset_stats(struct dg_nl *nl, const char *ifname);

/* Decoders: 0, or a negative errno if the message is malformed. */
int dg_decode_status(struct nlmsghdr *nlh, struct dg_status *st);
int dg_decode_dev(struct nlmsghdr *nlh, struct dg_dev *dev);
int dg_decode_rule(struct nlmsghdr *nlh, struct dg_rule *rule);

/* "ifname", "mode", ... for an attribute the kernel reported missing. */
const char *dg_attr_name(int type);

#endif /* DG_KERNEL_H */
