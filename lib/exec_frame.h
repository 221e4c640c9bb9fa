/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_EXEC_FRAME_H
#define TIERVM_EXEC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * The exec channel's framing, spoken by the host (exec.c) and the guest's
 * agent (guest/agent.c) over a virtio-serial port: a type byte, three zero
 * bytes, a little-endian 32-bit length, then that many bytes.
 *
 * host -> guest: OPEN (JSON: argv, env, cwd, policy; once, first), STDIN,
 *                STDIN_EOF, SIGNAL (one byte: the signal number), WINSIZE
 *                (JSON: rows, cols)
 * guest -> host: STARTED (CMD runs; empty), STDOUT, STDERR, EXIT (JSON:
 *                {"status": N} or {"signal": N}), FAIL (a message: the
 *                agent could not run it)
 */
enum tiervm_frame_type {
	TIERVM_FRAME_OPEN = 'O',
	TIERVM_FRAME_STDIN = 'I',
	TIERVM_FRAME_STDIN_EOF = 'E',
	TIERVM_FRAME_SIGNAL = 'S',
	TIERVM_FRAME_WINSIZE = 'W',
	TIERVM_FRAME_STARTED = 'R',
	TIERVM_FRAME_STDOUT = '1',
	TIERVM_FRAME_STDERR = '2',
	TIERVM_FRAME_EXIT = 'X',
	TIERVM_FRAME_FAIL = 'F',
};

/*
 * What the host sends first on a new connection: the guest skips bytes up
 * to it, so nothing left from an earlier session is read as a frame.
 */
/*
 * Where the guest writes, over the host's read-only root: its own tmpfs,
 * so a host file there is not what a command in the guest sees.
 */
#define TIERVM_GUEST_OWN_DIRS          \
	{                              \
		"/tmp", "/run", "/var" \
	}

#define TIERVM_EXEC_MAGIC "\177TVMEXEC"

#define TIERVM_FRAME_HEADER 8
/* larger frames are a protocol error: no peer of ours sends them */
#define TIERVM_FRAME_MAX (1u << 20)

/* Bytes read so far from a stream of frames. */
struct tiervm_frames {
	uint8_t *buf;
	size_t len, cap;
	size_t used; /* the frame returned last, dropped at the next call */
};

/** tiervm_frames_add - append @n bytes read from the stream. */
void tiervm_frames_add(struct tiervm_frames *f, const void *data, size_t n);

/**
 * tiervm_frames_next - the first complete frame: 1 and its type, data and
 * length (valid until the next call); 0 when more bytes are needed; -1
 * when the stream is not frames.  Each call drops the frame it returned
 * before.
 */
int tiervm_frames_next(struct tiervm_frames *f, uint8_t *type,
		       const uint8_t **data, uint32_t *len);
void tiervm_frames_free(struct tiervm_frames *f);

/**
 * tiervm_frame_write - one frame, whole, to @fd (blocking or not: it waits
 * for room); false with errno set when @fd fails.
 */
bool tiervm_frame_write(int fd, uint8_t type, const void *data, uint32_t len);

/** tiervm_frame_json - a frame's JSON payload (OPEN, WINSIZE, EXIT), or
 * NULL when it is none. */
json_object *tiervm_frame_json(const uint8_t *data, uint32_t len);

#endif
