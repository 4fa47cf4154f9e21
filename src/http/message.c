/*
 * http/message.c: request accessors and response builders, including the
 * Revolt error body (REVOLT.md section 4).
 */
#include "http/http.h"

#include <jansson.h>
#include <string.h>

#include "core/mem.h"

static const char *const method_names[HTTP_METHOD__COUNT] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
};

const char *http_method_name(enum http_method m)
{
	return (unsigned)m < HTTP_METHOD__COUNT ? method_names[m] : "?";
}

struct str http_req_header(const struct http_req *req, const char *name)
{
	struct str n = str_from(name);

	for (size_t i = 0; i < req->n_headers; i++)
		if (str_eq(req->headers[i].name, n))
			return req->headers[i].value;
	return STR_NULL;
}

bool http_req_has_header(const struct http_req *req, const char *name)
{
	return http_req_header(req, name).p != NULL;
}

struct str http_req_query(const struct http_req *req, const char *name)
{
	struct str n = str_from(name);

	for (size_t i = 0; i < req->n_query; i++)
		if (str_eq(req->query[i].name, n))
			return req->query[i].value;
	return STR_NULL;
}

void http_resp_init(struct http_resp *resp)
{
	resp->status = 200;
	resp->content_type = NULL;
	buf_init(&resp->headers, 16384);
	buf_init(&resp->body, LIM_RESPONSE_MAX);
	resp->stream = NULL;
}

static void drop_stream(struct http_resp *resp)
{
	if (!resp->stream)
		return;
	if (resp->stream->close)
		resp->stream->close(resp->stream->ctx);
	mem_free(resp->stream);
	resp->stream = NULL;
}

void http_resp_release(struct http_resp *resp)
{
	drop_stream(resp);
	buf_release(&resp->headers);
	buf_release(&resp->body);
}

void http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return;
	buf_puts(&resp->headers, name);
	buf_append(&resp->headers, ": ", 2);
	buf_puts(&resp->headers, value);
	buf_append(&resp->headers, "\r\n", 2);
}

void http_resp_set(struct http_resp *resp, int status, const char *content_type, struct str body)
{
	drop_stream(resp);
	resp->status = status;
	resp->content_type = content_type;
	buf_reset(&resp->body);
	buf_append_str(&resp->body, body);
}

enum err http_resp_stream(struct http_resp *resp, int status, const char *content_type,
                          const struct http_stream *s)
{
	struct http_stream *c = mem_try_alloc(sizeof(*c));

	drop_stream(resp);
	if (!c) {
		if (s->close)
			s->close(s->ctx);
		return SE_NOMEM;
	}
	*c = *s;
	c->sent = 0;
	resp->status = status;
	resp->content_type = content_type;
	buf_reset(&resp->body);
	resp->stream = c;
	return SE_OK;
}

static void set_payload(json_t *o, enum err e, const struct err_info *ei, bool authifier)
{
	static const struct err_info empty = ERR_INFO_INIT;

	if (!ei)
		ei = &empty;
	switch (err_payload_kind(e)) {
	case ERRP_MAX:
		json_object_set_new(o, "max", json_integer(ei->max));
		break;
	case ERRP_PERMISSION:
		json_object_set_new(o, "permission",
		                    json_string(ei->permission ? ei->permission : ""));
		break;
	case ERRP_DATABASE:
		json_object_set_new(o, "operation",
		                    json_string(ei->operation ? ei->operation : "unknown"));
		/* authifier names the collection "with" */
		json_object_set_new(o, authifier ? "with" : "collection",
		                    json_string(ei->collection ? ei->collection : "unknown"));
		break;
	case ERRP_ERROR:
		json_object_set_new(o, "error",
		                    json_string(ei->detail[0] ? ei->detail : "invalid"));
		break;
	case ERRP_WITH:
		json_object_set_new(o, "with", json_string(ei->with ? ei->with : ""));
		break;
	case ERRP_FEATURE:
		json_object_set_new(o, "feature", json_string(ei->feature ? ei->feature : ""));
		break;
	case ERRP_NONE:
		break;
	}
}

void http_resp_error(struct http_resp *resp, enum err e, const struct err_info *ei,
                     bool with_location)
{
	enum err w = err_to_wire(e);
	json_t *o = json_object();
	char *text = NULL;

	if (!o)
		goto fallback;
	json_object_set_new(o, "type", json_string(err_type(w)));
	/* An internal code mapped to FailedValidation keeps its reason. */
	set_payload(o, w, ei, !with_location);
	if (with_location && ei && ei->where)
		json_object_set_new(o, "location", json_string(ei->where));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		goto fallback;
	http_resp_set(resp, ei && ei->status ? ei->status : err_http_status(w), "application/json",
	              str_from(text));
	mem_free(text); /* jansson uses malloc, or mem_try_alloc once jx_init ran */
	return;
fallback:
	http_resp_set(resp, 500, "application/json", STR_LIT("{\"type\":\"InternalError\"}"));
}
