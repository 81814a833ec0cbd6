// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - runs every unit test group and prints the summary line.
 */
#include "harness.h"

int main(void)
{
	test_args();
	test_json();
	test_output();
	test_doctor();
	test_netlink();
	test_cli();
	return t_summary();
}
