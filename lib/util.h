/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_H
#define TIERVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Allocation failure is not an error we can report sensibly from deep inside
 * planning; like QEMU's g_malloc() these abort instead.
 */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* @len bytes of @p and a NUL */
char *xmemdup0(const void *p, size_t len);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable array of strings, NULL-terminated, as execv() wants. */
struct strv {
	char **v;
	size_t n, cap;
};

void strv_push(struct strv *s, char *owned);
void strv_pushf(struct strv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strv_free(struct strv *s);
/* A NULL-terminated array of strings and the array itself; NULL is fine. */
void tiervm_strv_free_null(char **v);

/* A growable text buffer. */
struct sbuf {
	char *s;
	size_t len, cap;
};

/* @n bytes, NULs included; the text stays NUL-terminated */
void sbuf_add(struct sbuf *b, const void *data, size_t n);
/* the first @n bytes removed */
void sbuf_drop(struct sbuf *b, size_t n);
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);

/* NULL when @in is not base64 */
unsigned char *base64_decode(const char *in, size_t *out_len);

/* CLOCK_MONOTONIC in milliseconds and microseconds. */
/* mkdir -p @path (each component 0755); @path is restored as it was. */
bool tiervm_mkdir_p(char *path);

long long tiervm_now_ms(void);
long long tiervm_now_us(void);

/*
 * Set by a program's SIGINT/SIGTERM handler: every wait on a guest gives up
 * with an error, so the operation can stop the QEMU it started.
 */
/* FNV-1a of @n bytes at @p, continuing from @h (0xcbf29ce484222325 to start) */
uint64_t tiervm_fnv1a(uint64_t h, const void *p, size_t n);

extern volatile int tiervm_interrupted;
/* the last of them: SIGINT or SIGTERM */
extern volatile int tiervm_interrupt_signal;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) ((((x) + (a)-1) / (a)) * (a))

static inline bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

#endif
