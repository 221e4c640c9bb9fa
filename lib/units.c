// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "util.h"

static const struct {
	const char *suffix;
	uint64_t mult;
} size_suffixes[] = {
	{ "", 1 },	{ "K", KiB },	{ "M", MiB },
	{ "G", GiB },	{ "T", TiB },	{ "KiB", KiB },
	{ "MiB", MiB }, { "GiB", GiB }, { "TiB", TiB },
};

bool tiervm_parse_u64(const char *s, uint64_t *out, tiervm_error **errp)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "'%s' is not a whole number", s);
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "'%s' is too large", s);
		return false;
	}
	if (*end) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "'%s' is not a whole number", s);
		return false;
	}
	*out = v;
	return true;
}

/*
 * Decimal fractions are taken digit by digit, never through a double, so
 * "1.5G" is exact and "0.3K" (307.2 bytes) is refused rather than rounded.
 */
bool tiervm_parse_size(const char *s, uint64_t *out, tiervm_error **errp)
{
	const char *p = s, *frac = NULL, *suffix;
	uint64_t whole = 0, mult = 0, num = 0, den = 1;
	size_t nfrac = 0;

	while (isdigit((unsigned char)*p)) {
		if (whole > (UINT64_MAX - 9) / 10)
			goto too_large;
		whole = whole * 10 + (uint64_t)(*p++ - '0');
	}
	if (p == s)
		goto bad;
	if (*p == '.') {
		frac = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		nfrac = (size_t)(p - frac);
		if (!nfrac || nfrac > 12)
			goto bad;
	}
	suffix = p;
	for (size_t i = 0; i < ARRAY_SIZE(size_suffixes); i++) {
		if (!strcmp(suffix, size_suffixes[i].suffix)) {
			mult = size_suffixes[i].mult;
			break;
		}
	}
	if (!mult) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' has an unknown unit '%s' (use K, M, G or T, or KiB, MiB, GiB, TiB)",
			s, suffix);
		return false;
	}
	if (whole > UINT64_MAX / mult)
		goto too_large;
	for (size_t i = 0; i < nfrac; i++) {
		num = num * 10 + (uint64_t)(frac[i] - '0');
		den *= 10;
	}
	/* num/den < 1 and mult <= 2^40, den <= 10^12: the product fits. */
	if (nfrac && (num * mult) % den) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "'%s' is not a whole number of bytes", s);
		return false;
	}
	if (whole * mult > UINT64_MAX - (nfrac ? num * mult / den : 0))
		goto too_large;
	*out = whole * mult + (nfrac ? num * mult / den : 0);
	return true;
bad:
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"'%s' is not a size (bytes, or a number with K, M, G or T)", s);
	return false;
too_large:
	tiervm_error_set(errp, TIERVM_E_INPUT, "'%s' is too large", s);
	return false;
}

bool tiervm_parse_latency(const char *s, uint64_t *out, tiervm_error **errp)
{
	size_t n = strlen(s);
	char *digits;
	bool ok;

	if (n > 2 && !strcmp(s + n - 2, "ns"))
		n -= 2;
	digits = xcalloc(1, n + 1);
	memcpy(digits, s, n);
	ok = tiervm_parse_u64(digits, out, NULL);
	free(digits);
	if (!ok)
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' is not a latency (nanoseconds, e.g. 60 or 60ns)",
			s);
	return ok;
}

bool tiervm_parse_cpulist(const char *s, struct tiervm_cpuset *set,
			  tiervm_error **errp)
{
	const char *p = s;

	memset(set, 0, sizeof(*set));
	if (!*s)
		goto bad;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (errno || b < a)
			goto bad;
		if (b >= TIERVM_MAX_CPUS) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"cpu %lu is beyond tiervm's limit of %d", b,
				TIERVM_MAX_CPUS - 1);
			return false;
		}
		for (unsigned long c = a; c <= b; c++)
			cpuset_set(set, (unsigned)c);
		if (!*p)
			return true;
		if (*p++ != ',')
			goto bad;
	}
bad:
	tiervm_error_set(errp, TIERVM_E_INPUT,
			 "'%s' is not a cpu list (e.g. 0-3,6)", s);
	return false;
}

char *tiervm_format_size_approx(uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	return u < 0 ? xasprintf("%" PRIu64, bytes)
		     : xasprintf("%.4g%c", v, units[u]);
}

char *tiervm_format_size(uint64_t bytes)
{
	static const struct {
		char c;
		uint64_t m;
	} u[] = { { 'T', TiB }, { 'G', GiB }, { 'M', MiB }, { 'K', KiB } };

	for (size_t i = 0; i < ARRAY_SIZE(u); i++)
		if (bytes && bytes % u[i].m == 0)
			return xasprintf("%llu%c",
					 (unsigned long long)(bytes / u[i].m),
					 u[i].c);
	return xasprintf("%llu", (unsigned long long)bytes);
}

char *tiervm_format_cpulist(const struct tiervm_cpuset *set)
{
	struct sbuf b = { 0 };
	int start = -1;

	for (int c = 0; c <= TIERVM_MAX_CPUS; c++) {
		bool in = c < TIERVM_MAX_CPUS && cpuset_test(set, (unsigned)c);

		if (in && start < 0)
			start = c;
		if (!in && start >= 0) {
			if (c - 1 == start)
				sbuf_addf(&b, "%s%d", b.len ? "," : "", start);
			else
				sbuf_addf(&b, "%s%d-%d", b.len ? "," : "",
					  start, c - 1);
			start = -1;
		}
	}
	return b.s ? b.s : xstrdup("");
}

unsigned cpuset_count(const struct tiervm_cpuset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(s->bits); i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

int cpuset_first(const struct tiervm_cpuset *s)
{
	for (int c = 0; c < TIERVM_MAX_CPUS; c++)
		if (cpuset_test(s, (unsigned)c))
			return c;
	return -1;
}

int cpuset_last(const struct tiervm_cpuset *s)
{
	for (int c = TIERVM_MAX_CPUS - 1; c >= 0; c--)
		if (cpuset_test(s, (unsigned)c))
			return c;
	return -1;
}
