/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary reader's byte stream (internal to trace_binary_read.c and
 * trace_binary_stream.c): the decompressed content of a trace, as a window
 * out_buf[out_pos, out_end) that binary_stream__fill() tops up from zstd.
 * The reader decodes records in place and moves out_pos past them; the
 * stream keeps the offset of the window and the number of records before
 * out_pos, so that an error can say where it is.
 *
 * Room for a whole frame of the writer's is kept behind the data, so that
 * zstd decodes a frame whose size it knows in one go, straight into
 * out_buf instead of block by block into its own buffer and copying; only
 * a record that straddles the end of the window is moved (to its start).
 */
#ifndef LOCKDEPD_TRACE_BINARY_STREAM_H
#define LOCKDEPD_TRACE_BINARY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <zstd.h>
#include <linux/types.h>

#include "source/trace/trace_reader.h"

struct binary_stream {
	struct trace_input *in;
	ZSTD_DStream *zds;

	unsigned char *in_buf; /* NULL for an input in memory, used in place */
	ZSTD_inBuffer zin;
	__u64 in_consumed; /* compressed bytes before in_buf */
	bool input_eof;
	bool drained; /* the input is over and zstd has given all it had */
	bool between_frames; /* zstd ended a frame and has not started the next */

	unsigned char *out_buf;
	size_t out_cap;
	size_t out_pos; /* the next record */
	size_t out_end;
	__u64 out_base; /* stream offset of out_buf[0] */

	__u64 records; /* records before out_pos, the header included */
};

/* Sets up s (zeroed by the caller) to read in. 0 or -ENOMEM, logged. */
int binary_stream__init(struct binary_stream *s, struct trace_input *in);
void binary_stream__fini(struct binary_stream *s);

/*
 * Makes at least `need` bytes available at out_pos. 1 when they are, 0 when
 * the input ends first, or a negative errno (logged).
 */
int binary_stream__fill(struct binary_stream *s, size_t need);

#endif
