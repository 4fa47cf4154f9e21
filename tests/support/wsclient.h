/*
 * tests/support/wsclient.h: a minimal blocking WebSocket client for tests.
 *
 * Owns: one TCP connection to 127.0.0.1, the RFC 6455 handshake (random
 * Sec-WebSocket-Key, Sec-WebSocket-Accept checked), masked client frames and
 * reassembly of the server's text messages. Pings are answered while
 * receiving; binary messages are skipped. Not for production use.
 * Threads: one caller at a time per client; different clients are
 * independent.
 * Memory: the client is owned by the caller (wsc_close frees it).
 */
#ifndef SOL_TESTS_SUPPORT_WSCLIENT_H
#define SOL_TESTS_SUPPORT_WSCLIENT_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

struct wsc;

/* Frame opcodes for wsc_send_frame. */
#define WSC_OP_CONT 0x0
#define WSC_OP_TEXT 0x1
#define WSC_OP_BINARY 0x2
#define WSC_OP_CLOSE 0x8
#define WSC_OP_PING 0x9
#define WSC_OP_PONG 0xa

/*
 * Connect to 127.0.0.1:`port` and upgrade `path_and_query` (e.g.
 * "/?version=1&format=json&token=x"), all within `timeout_ms`. On success
 * *out is owned (wsc_close). Returns SE_IO (refused, reset, or the server did
 * not answer 101 with the right Sec-WebSocket-Accept) or SE_TIMEOUT.
 */
enum err wsc_connect(int port, const char *path_and_query, int timeout_ms, struct wsc **out)
    __attribute__((warn_unused_result));
/* Send one masked text frame (copied). SE_IO when the socket is gone. */
enum err wsc_send_text(struct wsc *c, struct str text);
/*
 * Send one raw masked frame with any opcode and FIN bit, for fragmentation
 * and protocol tests. Same errors as wsc_send_text.
 */
enum err wsc_send_frame(struct wsc *c, int opcode, bool fin, struct str payload);
/*
 * Receive the next complete text message into `out` (reset first; its own
 * maximum applies) within `timeout_ms`. Answers pings meanwhile.
 * Returns SE_OK, SE_TIMEOUT (nothing complete yet; the client stays
 * usable), SE_IO when the connection is closed (see wsc_close_code),
 * SE_TOO_LARGE when the message exceeds out->max, or SE_PARSE on a
 * protocol error; after the last two the client is unusable.
 */
enum err wsc_recv_text(struct wsc *c, struct buf *out, int timeout_ms);
/*
 * The close code the server sent: 0 while open, 1005 for a close frame
 * without a code, -1 when the TCP connection ended without a close frame.
 */
int wsc_close_code(const struct wsc *c);
/* Send a close frame (1000) if still open, close the socket, free; NULL ok. */
void wsc_close(struct wsc *c);

#endif /* SOL_TESTS_SUPPORT_WSCLIENT_H */
