// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The QMP client against a scripted peer on a socketpair, and its parser
 * fed split, malformed and random input (under ASan and UBSan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu_qmp.h"
#include "util.h"

#define GREETING \
	"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n"

static void test_split_anywhere(void **state)
{
	static const char stream[] = GREETING
		"{\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"size\": 1}}\r\n"
		"{\"return\": {}, \"id\": 1}\r\n";
	size_t len = sizeof(stream) - 1;

	(void)state;
	for (size_t cut = 1; cut < len; cut++) {
		struct tiervm_qmp *q = tiervm_qmp_new_detached();
		tiervm_error *err = NULL;

		json_object *ev, *r;

		assert_true(tiervm_qmp_feed(q, stream, cut, &err));
		assert_true(tiervm_qmp_feed(q, stream + cut, len - cut, &err));
		assert_null(err);
		/* wherever the cut, the same three messages, each sorted */
		assert_true(tiervm_qmp_greeted(q));
		ev = tiervm_qmp_event(q, 0, &err);
		assert_non_null(ev);
		assert_string_equal(
			json_object_get_string(
				json_object_object_get(ev, "event")),
			"MEMORY_DEVICE_SIZE_CHANGE");
		assert_int_equal(
			json_object_get_int(json_object_object_get(
				json_object_object_get(ev, "data"), "size")),
			1);
		json_object_put(ev);
		assert_null(tiervm_qmp_event(q, 0, &err));
		assert_null(err);
		r = tiervm_qmp_take_response(q, 1);
		assert_non_null(r);
		assert_true(json_object_is_type(
			json_object_object_get(r, "return"), json_type_object));
		json_object_put(r);
		assert_null(tiervm_qmp_take_response(q, 1));
		tiervm_qmp_close(q);
	}
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"return\": }\n", "[1, 2]\n",		  "42\n",
		"\"str\"\n",	    "{\"neither\": 1}\n", "}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tiervm_qmp *q = tiervm_qmp_new_detached();
		tiervm_error *err = NULL;

		assert_false(tiervm_qmp_feed(q, bad[i], strlen(bad[i]), &err));
		assert_non_null(err);
		tiervm_error_free(err);
		tiervm_qmp_close(q);
	}
}

/* Random bytes and mutations of valid messages: errors, never a crash. */
static void test_fuzz(void **state)
{
	static const char seed[] =
		GREETING "{\"return\": [1, {\"a\": \"b\"}], \"id\": 7}\n";
	unsigned rnd = 12345;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct tiervm_qmp *q = tiervm_qmp_new_detached();
		char buf[sizeof(seed)];
		size_t len = sizeof(seed) - 1;

		memcpy(buf, seed, sizeof(seed));
		for (int m = 0; m < 1 + round % 8; m++) {
			rnd = rnd * 1103515245 + 12345;
			buf[(rnd >> 8) % len] = (char)(rnd >> 16);
		}
		for (size_t off = 0; off < len;) {
			tiervm_error *err = NULL;
			size_t chunk;

			rnd = rnd * 1103515245 + 12345;
			chunk = 1 + (rnd >> 8) % 16;
			if (chunk > len - off)
				chunk = len - off;
			if (!tiervm_qmp_feed(q, buf + off, chunk, &err)) {
				assert_non_null(err);
				tiervm_error_free(err);
				break;
			}
			off += chunk;
		}
		tiervm_qmp_close(q);
	}
}

/*
 * A peer that greets, puts an event and a stale response before the one
 * asked for, answers the next command with an error, then dies.
 */
static void peer(int fd)
{
	static const char *const replies[] = {
		"{\"return\": {}, \"id\": 1}\n",
		"{\"event\": \"RESUME\"}\n{\"return\": {}, \"id\": 99}\n"
		"{\"return\": {\"status\": \"running\"}, \"id\": 2}\n",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"no such device\"}, \"id\": 3}\n",
	};
	char buf[4096];

	if (write(fd, GREETING, strlen(GREETING)) < 0)
		_exit(1);
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		if (read(fd, buf, sizeof(buf)) <= 0 ||
		    write(fd, replies[i], strlen(replies[i])) < 0)
			_exit(1);
	}
	if (read(fd, buf, sizeof(buf)) < 0)
		_exit(1);
	_exit(0); /* QEMU "dies" with a command unanswered */
}

static void test_conversation(void **state)
{
	tiervm_error *err = NULL;
	struct tiervm_qmp *q;
	json_object *r, *ev;
	int sv[2];
	pid_t pid;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		peer(sv[1]);
	}
	close(sv[1]);
	q = tiervm_qmp_new_fd(sv[0], 5000, &err);
	assert_non_null(q);
	r = tiervm_qmp_execute(q, "query-status", NULL, 5000, &err);
	assert_non_null(r);
	assert_string_equal(
		json_object_get_string(json_object_object_get(r, "status")),
		"running");
	json_object_put(r);
	r = tiervm_qmp_execute(q, "device_del", NULL, 5000, &err);
	assert_null(r);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "GenericError: no such device"));
	tiervm_error_free(err);
	err = NULL;
	ev = tiervm_qmp_event(q, 100, &err);
	assert_non_null(ev);
	assert_string_equal(
		json_object_get_string(json_object_object_get(ev, "event")),
		"RESUME");
	json_object_put(ev);
	/* the peer exits: the next command says so instead of hanging */
	r = tiervm_qmp_execute(q, "query-status", NULL, 5000, &err);
	assert_null(r);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "QEMU closed the QMP socket"));
	tiervm_error_free(err);
	tiervm_qmp_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_conversation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
