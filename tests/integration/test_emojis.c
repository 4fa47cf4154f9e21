/*
 * tests/integration/test_emojis.c: custom emojis against the real daemon:
 * validation, Detached parents, unknown servers, ManageCustomisation,
 * UnknownAttachment (unknown, someone else's or already used uploads),
 * then a real PNG uploaded to /autumn/emojis made into an emoji, fetched,
 * listed and deleted.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "tests/support/api_client.h"
#include "tests/support/wsclient.h"
#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

static struct td *d;

/* A 4x4 red RGB PNG. */
static const unsigned char png4[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x26,
    0x93, 0x09, 0x29, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
    0xcf, 0xc0, 0x00, 0x47, 0x0c, 0xc4, 0x71, 0x00, 0xae, 0x93, 0x0f, 0xf1, 0xd0, 0x5f, 0x23,
    0x9e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

struct bytes {
	char *p;
	size_t n;
};

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	struct bytes *b = arg;
	char *q = realloc(b->p, b->n + sz * n + 1);

	assert_non_null(q);
	memcpy(q + b->n, p, sz * n);
	b->p = q;
	b->n += sz * n;
	b->p[b->n] = '\0';
	return sz * n;
}

/* POST `data` as a multipart "file" part to /autumn/emojis; the new file id. */
static void upload_emoji(const char *token, char id[64])
{
	static const char boundary[] = "XyZzY";
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct bytes out = {NULL, 0};
	char url[128], h[200], head[256], tail[64], *body;
	int k, t;
	long status = 0;
	json_t *v;

	assert_non_null(c);
	k = snprintf(head, sizeof(head),
	             "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
	             "filename=\"e.png\"\r\nContent-Type: image/png\r\n\r\n",
	             boundary);
	t = snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", boundary);
	body = malloc((size_t)k + sizeof(png4) + (size_t)t);
	assert_non_null(body);
	memcpy(body, head, (size_t)k);
	memcpy(body + k, png4, sizeof(png4));
	memcpy(body + k + sizeof(png4), tail, (size_t)t);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/autumn/emojis", td_http_port(d));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	                 (curl_off_t)((size_t)k + sizeof(png4) + (size_t)t));
	snprintf(h, sizeof(h), "X-Session-Token: %s", token);
	hl = curl_slist_append(hl, h);
	hl = curl_slist_append(hl, "Content-Type: multipart/form-data; boundary=XyZzY");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	free(body);
	if (status != 200)
		fail_msg("upload: %ld %s", status, out.p ? out.p : "");
	v = json_loadb(out.p, out.n, 0, NULL);
	assert_non_null(v);
	assert_non_null(tc_sval(v, "id"));
	snprintf(id, 64, "%s", tc_sval(v, "id"));
	json_decref(v);
	free(out.p);
}

static int setup(void **state)
{
	(void)state;
	d = tc_start(NULL, START_MS);
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_emojis(void **state)
{
	struct tc_user kim, lee;
	char sid[32], body[256], path[128];
	json_t *v = NULL;
	const char *e = "/api/custom/emoji/01ARZ3NDEKTSV4RRFFQ69G5FAV";

	(void)state;
	tc_user_make(d, "kim", &kim);
	tc_user_make(d, "lee", &lee);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", kim.token, "{\"name\":\"S\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	json_decref(v);

	tc_expect(d, "PUT", e, kim.token, "{}", 400, "FailedValidation");
	tc_expect(d, "PUT", e, kim.token,
	          "{\"name\":\"Bad Name\",\"parent\":{\"type\":\"Detached\"}}", 400,
	          "FailedValidation");
	tc_expect(d, "PUT", e, kim.token, "{\"name\":\"ok\",\"parent\":{\"type\":\"Nope\"}}", 400,
	          "FailedValidation");
	tc_expect(d, "PUT", e, kim.token, "{\"name\":\"ok\",\"parent\":{\"type\":\"Detached\"}}",
	          400, "InvalidOperation");
	tc_expect(d, "PUT", e, kim.token,
	          "{\"name\":\"ok\",\"parent\":{\"type\":\"Server\",\"id\":"
	          "\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}}",
	          404, "NotFound");
	snprintf(body, sizeof(body),
	         "{\"name\":\"ok\",\"parent\":{\"type\":\"Server\",\"id\":\"%s\"}}", sid);
	tc_expect(d, "PUT", e, lee.token, body, 403, "MissingPermission");
	tc_expect(d, "PUT", e, NULL, body, 401, NULL);
	/* no upload has this id */
	tc_expect(d, "PUT", e, kim.token, body, 400, "UnknownAttachment");

	tc_expect(d, "GET", e, NULL, NULL, 404, "NotFound");
	tc_expect(d, "DELETE", e, kim.token, "{}", 404, "NotFound");

	snprintf(path, sizeof(path), "/api/servers/%s/emojis", sid);
	assert_int_equal(tc_call(d, "GET", path, kim.token, NULL, &v), 200);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	tc_expect(d, "GET", path, lee.token, NULL, 404, "NotFound");
	tc_expect(d, "GET", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/emojis", kim.token, NULL, 404,
	          "NotFound");
}

static void test_emoji_upload(void **state)
{
	struct tc_user ann, bob;
	char sid[32], body[256], path[160], list[128], mine[64], theirs[64];
	json_t *v = NULL, *parent;

	(void)state;
	tc_user_make(d, "ann", &ann);
	tc_user_make(d, "bob", &bob);
	assert_int_equal(
	    tc_call(d, "POST", "/api/servers/create", ann.token, "{\"name\":\"E\"}", &v), 200);
	snprintf(sid, sizeof(sid), "%s", tc_sval(json_object_get(v, "server"), "_id"));
	json_decref(v);
	upload_emoji(ann.token, mine);
	upload_emoji(bob.token, theirs);
	snprintf(body, sizeof(body),
	         "{\"name\":\"red_square\",\"parent\":{\"type\":\"Server\",\"id\":\"%s\"}}", sid);

	/* only the uploader may use an upload */
	snprintf(path, sizeof(path), "/api/custom/emoji/%s", theirs);
	tc_expect(d, "PUT", path, ann.token, body, 400, "UnknownAttachment");

	snprintf(path, sizeof(path), "/api/custom/emoji/%s", mine);
	assert_int_equal(tc_call(d, "PUT", path, ann.token, body, &v), 200);
	assert_string_equal(tc_sval(v, "_id"), mine);
	assert_string_equal(tc_sval(v, "name"), "red_square");
	assert_string_equal(tc_sval(v, "creator_id"), ann.id);
	parent = json_object_get(v, "parent");
	assert_string_equal(tc_sval(parent, "type"), "Server");
	assert_string_equal(tc_sval(parent, "id"), sid);
	assert_false(json_is_true(json_object_get(v, "animated")));
	json_decref(v);
	/* the upload is used now */
	tc_expect(d, "PUT", path, ann.token, body, 400, "UnknownAttachment");

	assert_int_equal(tc_call(d, "GET", path, NULL, NULL, &v), 200);
	assert_string_equal(tc_sval(v, "name"), "red_square");
	json_decref(v);
	snprintf(list, sizeof(list), "/api/servers/%s/emojis", sid);
	assert_int_equal(tc_call(d, "GET", list, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(tc_sval(json_array_get(v, 0), "_id"), mine);
	json_decref(v);
	/* a member's Ready lists the emojis of the servers they are in */
	{
		struct buf frame = BUF_INIT(1 << 20);
		char query[200];
		struct wsc *ws = NULL;
		json_t *ready = NULL;

		snprintf(query, sizeof(query), "/?version=1&format=json&token=%s", ann.token);
		assert_int_equal(wsc_connect(td_ws_port(d), query, 5000, &ws), SE_OK);
		for (int i = 0; i < 5 && !ready; i++) {
			json_t *ev;

			buf_reset(&frame);
			assert_int_equal(wsc_recv_text(ws, &frame, 5000), SE_OK);
			ev = json_loads(buf_cstr(&frame), 0, NULL);
			if (ev &&
			    strcmp(tc_sval(ev, "type") ? tc_sval(ev, "type") : "", "Ready") == 0)
				ready = ev;
			else
				json_decref(ev);
		}
		assert_non_null(ready);
		assert_int_equal(json_array_size(json_object_get(ready, "emojis")), 1);
		assert_string_equal(
		    tc_sval(json_array_get(json_object_get(ready, "emojis"), 0), "_id"), mine);
		json_decref(ready);
		wsc_close(ws);
		buf_release(&frame);
	}

	tc_expect(d, "DELETE", path, bob.token, NULL, 403, "MissingPermission");
	tc_expect(d, "DELETE", path, ann.token, NULL, 204, NULL);
	tc_expect(d, "GET", path, NULL, NULL, 404, "NotFound");
	assert_int_equal(tc_call(d, "GET", list, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emojis),
	    cmocka_unit_test(test_emoji_upload),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
