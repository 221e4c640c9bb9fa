// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A matrix's results as people and CI systems read them: a table, JSON
 * (docs/test.md) and JUnit XML (the schema Jenkins, GitLab and GitHub
 * Actions' reporters read: testsuites > testsuite > testcase, with
 * failure, skipped, system-out and system-err).
 */
#include <fcntl.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix.h"
#include "util.h"

/* What a test report takes of a cell's output; the record keeps it all. */
#define REPORT_MAX_OUTPUT (1 << 20)

static const char *const result_names[] = {
	[TIERVM_CELL_PENDING] = "pending", [TIERVM_CELL_RUNNING] = "running",
	[TIERVM_CELL_PASSED] = "passed",   [TIERVM_CELL_FAILED] = "failed",
	[TIERVM_CELL_SKIPPED] = "skipped",
};

static double seconds(const struct tiervm_matrix_cell *c)
{
	return c->start_ms && c->end_ms
		       ? (double)(c->end_ms - c->start_ms) / 1000.0
		       : 0.0;
}

/* "0", "exit 3", "signal 9", or "-" when it never ran. */
static void command_text(const struct tiervm_matrix_cell *c, char *buf,
			 size_t n)
{
	if (c->command_status < 0)
		snprintf(buf, n, "-");
	else if (c->command_status > 128)
		snprintf(buf, n, "signal %d", c->command_status - 128);
	else if (c->command_status)
		snprintf(buf, n, "exit %d", c->command_status);
	else
		snprintf(buf, n, "0");
}

/* "KERNEL/QEMU/ENGINE[@HOST]": a cell's name within its spec. */
static char *cell_label(const struct tiervm_matrix_cell *c)
{
	return xasprintf("%s/%s/%s%s%s", c->kernel_label, c->qemu_label,
			 c->engine, c->connect ? "@" : "",
			 c->connect ? c->connect : "");
}

char *tiervm_matrix_table(const struct tiervm_matrix *m)
{
	static const char *const head[] = { "#",      "spec",	 "kernel",
					    "qemu",   "engine",	 "host",
					    "result", "verdict", "command",
					    "seconds" };
	enum { N_COLS = 10 };
	char ***cells = xcalloc(m->n_cells + 1, sizeof(*cells));
	size_t width[N_COLS] = { 0 };
	bool remote = false;
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < m->n_cells; i++)
		remote |= m->cells[i].connect != NULL;
	for (unsigned i = 0; i <= m->n_cells; i++) {
		char **row = cells[i] = xcalloc(N_COLS, sizeof(*row));
		const struct tiervm_matrix_cell *c = &m->cells[i ? i - 1 : 0];
		char cmd[32];

		if (!i) {
			for (int k = 0; k < N_COLS; k++)
				row[k] = xstrdup(head[k]);
		} else {
			command_text(c, cmd, sizeof(cmd));
			row[0] = xasprintf("%u", i);
			row[1] = xstrdup(c->spec_label);
			row[2] = xstrdup(c->kernel_label);
			row[3] = xstrdup(c->qemu_label);
			row[4] = xstrdup(c->engine);
			row[5] = xstrdup(c->connect ? c->connect : "local");
			row[6] = xstrdup(c->result == TIERVM_CELL_FAILED
						 ? "FAILED"
						 : result_names[c->result]);
			row[7] = xstrdup(c->verdict ? c->verdict : "-");
			row[8] = xstrdup(cmd);
			row[9] = xasprintf("%.1f", seconds(c));
		}
		for (int k = 0; k < N_COLS; k++)
			if (strlen(row[k]) > width[k])
				width[k] = strlen(row[k]);
	}
	for (unsigned i = 0; i <= m->n_cells; i++) {
		for (int k = 0; k < N_COLS; k++) {
			if (k == 5 && !remote)
				continue;
			sbuf_addf(&b, "%-*s%s",
				  k == N_COLS - 1 ? 0 : (int)width[k],
				  cells[i][k], k == N_COLS - 1 ? "\n" : "  ");
		}
		for (int k = 0; k < N_COLS; k++)
			free(cells[i][k]);
		free(cells[i]);
	}
	free(cells);
	for (unsigned i = 0; i < m->n_cells; i++)
		if (m->cells[i].message)
			sbuf_addf(&b, "%u: %s %s: %s\n", i + 1,
				  result_names[m->cells[i].result],
				  m->cells[i].spec_label, m->cells[i].message);
	sbuf_addf(&b, "%u passed, %u failed, %u skipped\n",
		  tiervm_matrix_count(m, TIERVM_CELL_PASSED),
		  tiervm_matrix_count(m, TIERVM_CELL_FAILED),
		  tiervm_matrix_count(m, TIERVM_CELL_SKIPPED));
	return b.s;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *tiervm_matrix_json(const struct tiervm_matrix *m)
{
	json_object *o = json_object_new_object(),
		    *cells = json_object_new_array();

	json_object_object_add(o, "matrix", json_object_new_string(m->file));
	json_object_object_add(o, "dir", str_or_null(m->keep));
	json_object_object_add(o, "jobs", json_object_new_int((int)m->jobs));
	json_object_object_add(
		o, "seconds",
		json_object_new_double((double)(m->end_ms - m->start_ms) /
				       1000.0));
	json_object_object_add(o, "passed",
			       json_object_new_int((int)tiervm_matrix_count(
				       m, TIERVM_CELL_PASSED)));
	json_object_object_add(o, "failed",
			       json_object_new_int((int)tiervm_matrix_count(
				       m, TIERVM_CELL_FAILED)));
	json_object_object_add(o, "skipped",
			       json_object_new_int((int)tiervm_matrix_count(
				       m, TIERVM_CELL_SKIPPED)));
	json_object_object_add(o, "interrupted",
			       json_object_new_boolean(m->interrupted));
	for (unsigned i = 0; i < m->n_cells; i++) {
		const struct tiervm_matrix_cell *c = &m->cells[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "spec",
				       json_object_new_string(c->spec_label));
		json_object_object_add(j, "spec_name",
				       json_object_new_string(c->spec_name));
		json_object_object_add(j, "kernel",
				       json_object_new_string(c->kernel));
		json_object_object_add(j, "qemu",
				       json_object_new_string(c->qemu));
		json_object_object_add(j, "engine",
				       json_object_new_string(c->engine));
		json_object_object_add(j, "connect", str_or_null(c->connect));
		json_object_object_add(j, "name", str_or_null(c->name));
		json_object_object_add(j, "dir", str_or_null(c->dir));
		json_object_object_add(
			j, "result",
			json_object_new_string(result_names[c->result]));
		json_object_object_add(j, "verdict", str_or_null(c->verdict));
		json_object_object_add(
			j, "command_status",
			c->command_status < 0
				? NULL
				: json_object_new_int(c->command_status));
		json_object_object_add(j, "message", str_or_null(c->message));
		json_object_object_add(
			j, "started",
			json_object_new_double(
				c->start_ms
					? (double)(c->start_ms - m->start_ms) /
						  1000.0
					: 0.0));
		json_object_object_add(j, "seconds",
				       json_object_new_double(seconds(c)));
		json_object_array_add(cells, j);
	}
	json_object_object_add(o, "cells", cells);
	return o;
}

/*
 * At most @max bytes of @path as XML text: valid UTF-8 of characters XML
 * 1.0 allows (a guest's output has escapes and stray bytes), each
 * other byte a '?'.
 */
static char *xml_text_of(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sbuf b = { 0 };
	unsigned char *raw;
	ssize_t n;

	if (fd < 0)
		return xstrdup("");
	raw = xcalloc(max + 1, 1);
	n = read(fd, raw, max);
	close(fd);
	for (ssize_t i = 0; i < n;) {
		int len = (int)(n - i);
		int ch = xmlGetUTF8Char(raw + i, &len);
		bool ok = ch == 0x9 || ch == 0xa || ch == 0xd ||
			  (ch >= 0x20 && ch < 0xd800) ||
			  (ch >= 0xe000 && ch <= 0xfffd) || ch >= 0x10000;

		if (ch < 0 || !ok) {
			sbuf_add(&b, "?", 1);
			i++;
		} else {
			sbuf_add(&b, raw + i, (size_t)len);
			i += len;
		}
	}
	if (n == (ssize_t)max)
		sbuf_addf(&b, "\n[tiervm: cut at %zu bytes; all of it in %s]\n",
			  max, path);
	free(raw);
	return b.s ? b.s : xstrdup("");
}

static void write_case(xmlTextWriterPtr w, const struct tiervm_matrix_cell *c)
{
	char *label = cell_label(c), *out, *log, *file, time[32];

	snprintf(time, sizeof(time), "%.3f", seconds(c));
	xmlTextWriterStartElement(w, BAD_CAST "testcase");
	xmlTextWriterWriteAttribute(w, BAD_CAST "classname",
				    BAD_CAST c->spec_name);
	xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST label);
	xmlTextWriterWriteAttribute(w, BAD_CAST "file", BAD_CAST c->spec_label);
	xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST time);
	if (c->result == TIERVM_CELL_FAILED ||
	    c->result == TIERVM_CELL_SKIPPED) {
		bool failed = c->result == TIERVM_CELL_FAILED;

		xmlTextWriterStartElement(
			w, BAD_CAST(failed ? "failure" : "skipped"));
		xmlTextWriterWriteAttribute(
			w, BAD_CAST "message",
			BAD_CAST(c->message ? c->message : "failed"));
		if (failed)
			xmlTextWriterWriteAttribute(
				w, BAD_CAST "type",
				BAD_CAST(c->command_status > 0 ? "command"
					 : c->verdict	       ? "mismatch"
							       : "error"));
		xmlTextWriterEndElement(w);
	}
	if (c->dir) {
		file = xasprintf("%s/output", c->dir);
		out = xml_text_of(file, REPORT_MAX_OUTPUT);
		free(file);
		file = xasprintf("%s/tiervm.log", c->dir);
		log = xml_text_of(file, REPORT_MAX_OUTPUT);
		free(file);
		xmlTextWriterWriteElement(w, BAD_CAST "system-out",
					  BAD_CAST out);
		xmlTextWriterWriteElement(w, BAD_CAST "system-err",
					  BAD_CAST log);
		free(out);
		free(log);
	}
	xmlTextWriterEndElement(w);
	free(label);
}

bool tiervm_matrix_write_junit(const struct tiervm_matrix *m, const char *path,
			       tiervm_error **errp)
{
	char *tmp = xasprintf("%s.tmp", path), num[32];
	xmlTextWriterPtr w = xmlNewTextWriterFilename(tmp, 0);
	bool ok;

	if (!w) {
		tiervm_error_setg(errp, "--junit: cannot write %s", tmp);
		free(tmp);
		return false;
	}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST "testsuites");
	xmlTextWriterStartElement(w, BAD_CAST "testsuite");
	xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST m->name);
	snprintf(num, sizeof(num), "%u", m->n_cells);
	xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST num);
	snprintf(num, sizeof(num), "%u",
		 tiervm_matrix_count(m, TIERVM_CELL_FAILED));
	xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST num);
	xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0");
	snprintf(num, sizeof(num), "%u",
		 tiervm_matrix_count(m, TIERVM_CELL_SKIPPED));
	xmlTextWriterWriteAttribute(w, BAD_CAST "skipped", BAD_CAST num);
	snprintf(num, sizeof(num), "%.3f",
		 (double)(m->end_ms - m->start_ms) / 1000.0);
	xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num);
	for (unsigned i = 0; i < m->n_cells; i++)
		write_case(w, &m->cells[i]);
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
	ok = xmlTextWriterEndDocument(w) >= 0;
	xmlFreeTextWriter(w);
	/* written whole, then put in place: a reader never sees half */
	if (!ok || rename(tmp, path) < 0) {
		tiervm_error_setg(errp, "--junit: cannot write %s", path);
		unlink(tmp);
		free(tmp);
		return false;
	}
	free(tmp);
	return true;
}
