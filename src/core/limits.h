/*
 * core/limits.h: every hard limit in one place (STYLE rule 16).
 *
 * Each limit is enforced where the bytes are parsed and hitting it returns a
 * typed error, never a silent truncation. "cfg" marks limits a deployment can
 * override in the configuration file (the value here is the default).
 */
#ifndef SOL_CORE_LIMITS_H
#define SOL_CORE_LIMITS_H

/* HTTP */
/* bytes of a JSON request body; Rocket's JSON limit is 1 MiB (cfg) */
#define LIM_JSON_BODY_MAX (1u << 20)
/* bytes of any non-upload request body, Revolt global.body_limit_size (cfg) */
#define LIM_BODY_MAX 20000000u
/* bytes of the request target (path + query) */
#define LIM_URL_MAX 8192
/* bytes of one request header value we copy out */
#define LIM_HEADER_VALUE_MAX 8192
/* bytes of all request headers together, lws ah data (cfg) */
#define LIM_HEADERS_MAX 16384
/* path segments a route pattern or request path may have */
#define LIM_PATH_SEGMENTS 16
/* captured parameters per route */
#define LIM_ROUTE_PARAMS 6
/* bytes one request's arena may take */
#define LIM_REQ_ARENA_MAX (64u << 20)
/* bytes of a response body kept in memory */
#define LIM_RESPONSE_MAX (64u << 20)
/* requests parsed and waiting for a worker before new ones get 503 */
#define LIM_HTTP_QUEUE 4096

/* JSON */
/* nesting depth of any JSON document we parse */
#define LIM_JSON_DEPTH 64

/* WebSocket / event bus */
/* bytes of one incoming WebSocket message */
#define LIM_WS_MSG_MAX (64u << 10)
/* bytes queued for one socket before it is dropped as too slow (cfg) */
#define LIM_WS_SENDQ_MAX (4u << 20)
/* bytes of a bus topic name */
#define LIM_TOPIC_MAX 64
/* topics one connection may subscribe to */
#define LIM_TOPICS_PER_CONN 4096
/* bytes of one published event payload */
#define LIM_EVENT_MAX (1u << 20)

/* Configuration */
/* bytes of one configuration file */
#define LIM_CONFIG_FILE_MAX (1u << 20)

/* Multipart uploads (src/files/multipart.h) */
/* body parts one multipart/form-data body may have; Autumn needs one */
#define LIM_MULTIPART_PARTS 16
/* bytes of one part's header block, its CRLFs and the blank line included */
#define LIM_MULTIPART_HEADER_BYTES 8192
/* bytes of a multipart boundary, RFC 2046 section 5.1.1 */
#define LIM_MULTIPART_BOUNDARY 70
/* bytes of a display-safe upload filename (mp_safe_filename) */
#define LIM_UPLOAD_FILENAME 128
/* end of the multipart block */

#endif /* SOL_CORE_LIMITS_H */
