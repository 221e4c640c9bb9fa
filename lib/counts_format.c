// SPDX-License-Identifier: LGPL-2.1-or-later
/* Access counts as a person reads them: the per-node table and a plot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts.h"
#include "util.h"
#include "util_json.h"

static void human(char *buf, size_t len, double v)
{
	static const char *const unit[] = { "", "K", "M", "G", "T" };
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

char *tiervm_counts_format_table(json_object *counts)
{
	json_object *nodes = jget(counts, "nodes"), *un, *fs;
	struct sbuf b = { 0 };

	sbuf_addf(&b, "accesses by node over %.2f s:\n",
		  json_object_get_double(jget(counts, "seconds")));
	sbuf_addf(&b, "  %-4s %-13s %-4s %10s %7s %10s %10s\n", "node", "kind",
		  "tier", "accesses", "share", "bytes", "user");
	for (size_t i = 0; i < jlen(nodes); i++) {
		json_object *n = jidx(nodes, i);
		char acc[16], bytes[16], user[16], tier[16] = "-",
						   share[16] = "-";

		human(acc, sizeof(acc), (double)jint(n, "accesses", 0));
		human(bytes, sizeof(bytes), (double)jint(n, "bytes", 0));
		human(user, sizeof(user),
		      (double)(jint(n, "user_loads", 0) +
			       jint(n, "user_stores", 0)));
		if (jget(n, "tier"))
			snprintf(tier, sizeof(tier), "%lld",
				 jint(n, "tier", 0));
		if (jget(n, "share"))
			snprintf(
				share, sizeof(share), "%.1f%%",
				100 * json_object_get_double(jget(n, "share")));
		sbuf_addf(&b, "  %-4lld %-13s %-4s %10s %7s %10s %10s\n",
			  jint(n, "node", 0), jstr(n, "kind", "?"), tier, acc,
			  share, bytes, user);
	}
	un = jget(counts, "unattributed");
	if (jint(un, "loads", 0) + jint(un, "stores", 0)) {
		char acc[16];

		human(acc, sizeof(acc),
		      (double)(jint(un, "loads", 0) + jint(un, "stores", 0)));
		sbuf_addf(&b, "  RAM in no node (firmware, ROM): %s accesses\n",
			  acc);
	}
	if ((fs = jget(counts, "fast_tier_share")))
		sbuf_addf(
			&b, "  fast-tier share: %.1f%% (user space: %.1f%%)\n",
			100 * json_object_get_double(fs),
			jget(counts, "user_fast_tier_share")
				? 100 * json_object_get_double(jget(
						counts, "user_fast_tier_share"))
				: 0.0);
	return b.s;
}

bool tiervm_counts_write(json_object *counts, const char *path,
			 tiervm_error **errp)
{
	const char *text = json_object_to_json_string_ext(
		counts,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	FILE *f = fopen(path, "wxe");

	if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot write %s", path);
		if (f)
			fclose(f);
		return false;
	}
	if (fclose(f) != 0) {
		tiervm_error_set_errno(errp, errno, "cannot write %s", path);
		return false;
	}
	return true;
}

/* Colours that stay apart for the few nodes a machine has. */
static const char *const colours[] = { "#1f77b4", "#d62728", "#2ca02c",
				       "#ff7f0e", "#9467bd", "#8c564b",
				       "#e377c2", "#7f7f7f" };

bool tiervm_counts_plot(json_object *counts, const char *path,
			tiervm_error **errp)
{
	json_object *rows = jget(jget(counts, "series"), "rows"),
		    *nodes = jget(counts, "nodes");
	const double W = 640, H = 360, L = 70, R = 150, T = 30, B = 40;
	double tmax = 0, ymax = 0;
	struct sbuf b = { 0 };
	FILE *f;
	bool ok;

	for (size_t i = 0; i < jlen(rows); i++) {
		json_object *r = jidx(rows, i), *rates = jget(r, "rates");

		if (json_object_get_double(jget(r, "t")) > tmax)
			tmax = json_object_get_double(jget(r, "t"));
		for (size_t n = 0; n < jlen(rates); n++)
			if (json_object_get_double(jidx(rates, n)) > ymax)
				ymax = json_object_get_double(jidx(rates, n));
	}
	tmax = tmax > 0 ? tmax : 1;
	ymax = ymax > 0 ? ymax : 1;
	sbuf_addf(
		&b,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%.0f\" y=\"18\">accesses per second by node</text>\n"
		"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n"
		"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n"
		"<text x=\"%.0f\" y=\"%.0f\">%.1f s</text>\n"
		"<text x=\"4\" y=\"%.0f\">%.3g</text>\n",
		W, H, L, L, H - B, W - R, H - B, L, T, L, H - B, W - R - 30,
		H - B + 16, tmax, T + 4, ymax);
	for (size_t n = 0; n < jlen(nodes); n++) {
		const char *c = colours[n % ARRAY_SIZE(colours)];
		json_object *node = jidx(nodes, n);

		sbuf_addf(
			&b,
			"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%.1f,%.1f",
			c, L, H - B);
		for (size_t i = 0; i < jlen(rows); i++) {
			json_object *r = jidx(rows, i);
			double t = json_object_get_double(jget(r, "t")),
			       y = json_object_get_double(
				       jidx(jget(r, "rates"), n));

			sbuf_addf(&b, " %.1f,%.1f", L + t / tmax * (W - L - R),
				  H - B - y / ymax * (H - T - B));
		}
		sbuf_addf(
			&b,
			"\"/>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">node %lld (%s)</text>\n",
			W - R + 10, T + 16 + 16 * (double)n, c,
			jint(node, "node", 0), jstr(node, "kind", "?"));
	}
	sbuf_addf(&b, "</svg>\n");
	f = fopen(path, "wxe");
	ok = f && fwrite(b.s, 1, b.len, f) == b.len;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		tiervm_error_set_errno(errp, errno, "cannot write %s", path);
	sbuf_free(&b);
	return ok;
}

bool tiervm_counts_outputs_free(const char *file, const char *plot,
				tiervm_error **errp)
{
	const char *const paths[] = { file, plot };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (paths[i] && access(paths[i], F_OK) == 0) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: %s exists; tiervm does not overwrite it",
				i ? "--access-plot" : "--access-counts",
				paths[i]);
			return false;
		}
	return true;
}
