# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# tests/vm/demuxguard.sh - in-VM helpers for driving the module and the CLI
# (sourced after lib.sh). They read the CLI's JSON, compacted to one line,
# with sed: the initramfs has no JSON tool, and the shapes are the SPEC's.
#
#   dg_load [PARAM=VALUE...]     modprobe demuxguard; unloaded at cleanup
#   dg_unload                    modprobe -r demuxguard
#   dg_json ARGS...              demuxguard -j ARGS, whitespace removed
#   dg_counter IFNAME FAMILY C   one counter (FAMILY ipv4|ipv6)
#   dg_field IFNAME KEY          a string field of `show dev IFNAME`
#   dg_armed                     monitor's probes' armed states, in the order
#                                ip_local_deliver ip6_input ip_forward
#                                ip6_forward, e.g. "false false false false"
#   dg_attached                  the same for "attached"
#   dg_hook_num HOOK KEY         a number of status's KEY map (hits, users)
#   dg_hook_str HOOK KEY         a string of status's KEY map (kind, errors)
#   dg_status_num KEY            a top-level number of status (unguarded)

dg_load()
{
	modprobe demuxguard "$@" || return 1
	defer dg_unload
}

dg_unload()
{
	[ -d /sys/module/demuxguard ] || return 0
	modprobe -r demuxguard
}

dg_json()
{
	demuxguard -j "$@" | tr -d ' \n\t'
}

dg_counter()
{
	dg_json stats dev "$1" |
		sed -n "s/.*\"$2\":{\\([^}]*\\)}.*/\\1/p" | tr ',' '\n' |
		sed -n "s/^\"$3\":\\([0-9][0-9]*\\)\$/\\1/p"
}

dg_field()
{
	dg_json show dev "$1" | sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p"
}

_dg_hook_states()
{
	_json=$(dg_json status) || return 1
	for _h in ip_local_deliver ip6_input ip_forward ip6_forward; do
		printf '%s\n' "$_json" |
			sed -n "s/.*\"$1\":{[^}]*\"$_h\":\\([a-z]*\\).*/\\1/p"
	done | paste -sd' '
}

dg_armed()
{
	_dg_hook_states armed
}

dg_attached()
{
	_dg_hook_states hooks
}

dg_hook_num()
{
	dg_json status | sed -n "s/.*\"$2\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}

dg_hook_str()
{
	dg_json status | sed -n "s/.*\"$2\":{[^}]*\"$1\":\"\([^\"]*\)\".*/\1/p"
}

dg_status_num()
{
	dg_json status | sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p"
}

# dg_counter_is IFNAME FAMILY COUNTER OP VALUE: for check lines, e.g.
# check "..." dg_counter_is vlanabc ipv4 vetoed -ge 5
dg_counter_is()
{
	_v=$(dg_counter "$1" "$2" "$3")
	echo "$1 $2 $3 = ${_v:-?} (want $4 $5)"
	[ -n "$_v" ] && [ "$_v" "$4" "$5" ]
}
