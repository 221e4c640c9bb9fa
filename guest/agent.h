/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_AGENT_H
#define TIERVM_AGENT_H

/*
 * agent_start - mount what the host shares (per @cmdline) and serve the
 * exec ports, in a process of its own; returns at once in the caller.
 */
void agent_start(const char *cmdline);

#endif
