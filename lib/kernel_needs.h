/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_KERNEL_NEEDS_H
#define TIERVM_KERNEL_NEEDS_H

#include "kernel.h"
#include "spec.h"
#include "spec_diag.h"

/*
 * What a spec needs of its guest kernel's configuration, per feature: the
 * options checked before QEMU runs, and the dependencies a config fragment
 * must carry so that `make olddefconfig` keeps them even from tinyconfig.
 */

/**
 * tiervm_kernel_check - each option @s needs that @k lacks (or has as a
 * module whose file is missing) becomes one diagnostic in @d under the
 * spec key that needs it; @kernel_key ("guest.kernel", "--kernel") for
 * what every guest needs.  A kernel with no config adds one warning to
 * @warn naming where tiervm looked.  Debian's kernels are known good.
 */
void tiervm_kernel_check(const struct tiervm_spec *s, bool hmat,
			 const struct tiervm_kernel *k, const char *kernel_key,
			 struct tiervm_diags *d, struct tiervm_diags *warn);

/**
 * tiervm_kconfig_fragment - the fragment for @s: every option its
 * features need and their dependencies, "CONFIG_X=y" a line, grouped
 * under comments saying what needs them.
 */
char *tiervm_kconfig_fragment(const struct tiervm_spec *s, bool hmat);

#endif
