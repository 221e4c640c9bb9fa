// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "exec_frame.h"
#include "util.h"

void tiervm_frames_add(struct tiervm_frames *f, const void *data, size_t n)
{
	if (!n)
		return;
	if (f->len + n > f->cap) {
		f->cap = (f->len + n) * 2;
		f->buf = xrealloc(f->buf, f->cap);
	}
	memcpy(f->buf + f->len, data, n);
	f->len += n;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int tiervm_frames_next(struct tiervm_frames *f, uint8_t *type,
		       const uint8_t **data, uint32_t *len)
{
	uint32_t n;

	if (f->used) {
		memmove(f->buf, f->buf + f->used, f->len - f->used);
		f->len -= f->used;
		f->used = 0;
	}
	if (f->len < TIERVM_FRAME_HEADER)
		return 0;
	n = get_le32(f->buf + 4);
	if (f->buf[1] || f->buf[2] || f->buf[3] || n > TIERVM_FRAME_MAX)
		return -1;
	if (f->len < TIERVM_FRAME_HEADER + n)
		return 0;
	*type = f->buf[0];
	*len = n;
	*data = f->buf + TIERVM_FRAME_HEADER;
	f->used = TIERVM_FRAME_HEADER + n;
	return 1;
}

void tiervm_frames_free(struct tiervm_frames *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

bool tiervm_frame_write(int fd, uint8_t type, const void *data, uint32_t len)
{
	uint8_t hdr[TIERVM_FRAME_HEADER] = { type,
					     0,
					     0,
					     0,
					     (uint8_t)len,
					     (uint8_t)(len >> 8),
					     (uint8_t)(len >> 16),
					     (uint8_t)(len >> 24) };
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, len } };
	struct iovec *v = iov;
	int cnt = len ? 2 : 1;

	while (cnt) {
		ssize_t n = writev(fd, v, cnt);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		while (cnt && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	return true;
}

json_object *tiervm_frame_json(const uint8_t *data, uint32_t len)
{
	char *text = xmemdup0(data, len);
	json_object *o = json_tokener_parse(text);

	free(text);
	return o;
}
