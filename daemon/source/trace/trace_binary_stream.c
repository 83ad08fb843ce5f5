// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The binary reader's byte stream; trace_binary_stream.h says what it keeps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/log.h"
#include "source/trace/trace_binary_layout.h"
#include "source/trace/trace_binary_stream.h"

#define READER_IN_SIZE (1024 * 1024)
#define ZSTD_BLOCK_MAX (128 * 1024) /* ZSTD_BLOCKSIZE_MAX, not in every zstd.h */
/* Room for a whole frame of the writer's behind the data, and as much again. */
#define READER_FRAME_ROOM (WRITER_FLUSH_BYTES + ZSTD_BLOCK_MAX)
#define READER_OUT_SIZE	  (2 * READER_FRAME_ROOM)

int binary_stream__init(struct binary_stream *s, struct trace_input *in)
{
	s->in = in;
	s->out_cap = READER_OUT_SIZE;
	s->zds = ZSTD_createDStream();
	s->out_buf = malloc(s->out_cap);
	if (trace_input__memory(in, &s->zin.src, &s->zin.size))
		s->input_eof = true; /* all of it is already there */
	else
		s->in_buf = malloc(READER_IN_SIZE);
	if (!s->zds || (!s->input_eof && !s->in_buf) || !s->out_buf)
		return log_error_errno(-ENOMEM, "%s: out of memory", trace_input__name(in));
	ZSTD_initDStream(s->zds);
	return 0;
}

void binary_stream__fini(struct binary_stream *s)
{
	ZSTD_freeDStream(s->zds);
	free(s->in_buf);
	free(s->out_buf);
}

/*
 * Between frames, makes sure the next frame is all in the input buffer
 * when it fits, so that zstd can inflate it in one go: what is left is
 * moved to the front and more read behind it. 0 or a negative errno.
 */
static int stream_gather_frame(struct binary_stream *s)
{
	size_t left = s->zin.size - s->zin.pos;
	size_t frame;
	long n;

	if (!s->between_frames || !s->in_buf || s->input_eof || !left)
		return 0;
	frame = ZSTD_findFrameCompressedSize(s->in_buf + s->zin.pos, left);
	if (!ZSTD_isError(frame) || left == READER_IN_SIZE)
		return 0; /* whole, or too big for the buffer anyway */
	memmove(s->in_buf, s->in_buf + s->zin.pos, left);
	n = trace_input__read(s->in, s->in_buf + left, READER_IN_SIZE - left);
	if (n < 0)
		return (int)n;
	s->in_consumed += s->zin.pos;
	s->zin.size = left + (size_t)n;
	s->zin.pos = 0;
	if (n == 0)
		s->input_eof = true;
	return 0;
}

int binary_stream__fill(struct binary_stream *s, size_t need)
{
	while (s->out_end - s->out_pos < need) {
		ZSTD_outBuffer out;
		size_t in_before, out_before, ret;
		int err;

		/* zstd takes calls that cannot progress for an error after a few. */
		if (s->drained)
			return 0;

		/*
		 * Keep room for a whole frame behind the data: zstd then decodes
		 * a frame whose size it knows, in one go, straight into our
		 * buffer instead of block by block into its own and copying.
		 */
		if (s->out_cap - s->out_end < READER_FRAME_ROOM || s->out_cap - s->out_pos < need) {
			size_t avail = s->out_end - s->out_pos;

			memmove(s->out_buf, s->out_buf + s->out_pos, avail);
			s->out_base += s->out_pos;
			s->out_pos = 0;
			s->out_end = avail;
		}
		if (s->zin.pos == s->zin.size && !s->input_eof) {
			long n = trace_input__read(s->in, s->in_buf, READER_IN_SIZE);

			if (n < 0)
				return (int)n;
			s->in_consumed += s->zin.size;
			s->zin.src = s->in_buf;
			s->zin.size = (size_t)n;
			s->zin.pos = 0;
			if (n == 0)
				s->input_eof = true;
		}
		err = stream_gather_frame(s);
		if (err)
			return err;
		out = (ZSTD_outBuffer){ s->out_buf, s->out_cap, s->out_end };
		in_before = s->zin.pos;
		out_before = out.pos;
		ret = ZSTD_decompressStream(s->zds, &out, &s->zin);
		if (ZSTD_isError(ret))
			return log_error_errno(
				-EINVAL, "%s: compressed byte %llu (record %llu): zstd: %s",
				trace_input__name(s->in),
				(unsigned long long)(s->in_consumed + s->zin.pos),
				(unsigned long long)s->records, ZSTD_getErrorName(ret));
		s->out_end = out.pos;
		s->between_frames = ret == 0;
		if (s->input_eof && out.pos == out_before && s->zin.pos == in_before) {
			s->drained = true;
			return 0;
		}
	}
	return 1;
}
