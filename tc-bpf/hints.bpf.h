/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Branch hints. Clang places the unlikely side of a branch after the function's common path, so
 * that what nearly every packet runs is one contiguous stretch of code. Under load the program's
 * code is out of the instruction cache at each packet, and every line of it a packet jumps to
 * costs a fetch (docs/performance.md).
 */
#ifndef TCPULSE_HINTS_BPF_H
#define TCPULSE_HINTS_BPF_H

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif /* TCPULSE_HINTS_BPF_H */
