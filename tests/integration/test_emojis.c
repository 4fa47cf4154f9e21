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

#include "tests/support/daemon.h"

#define START_MS 20000
#define STOP_MS 15000

struct user {
	char token[128];
	char id[32];
};

static struct td *d;

/* One request with header "<hname>: <token>"; the status, and the JSON body when asked. */
static long call_h(const char *method, const char *path, const char *hname, const char *token,
                   const char *body, json_t **out)
{
	char h[200];
	const char *hdrs[2] = {NULL, NULL};
	struct td_resp r;
	long status;

	if (token) {
		snprintf(h, sizeof(h), "%s: %s", hname, token);
		hdrs[0] = h;
	}
	assert_int_equal(td_http(td_http_port(d), method, path, hdrs, body, &r), 0);
	status = r.status;
	if (out) {
		*out = r.body_len ? json_loadb(r.body, r.body_len, JSON_DECODE_ANY, NULL) : NULL;
		if (r.body_len && !*out)
			fail_msg("%s %s: not JSON: '%s'", method, path, r.body);
	}
	td_resp_release(&r);
	return status;
}

static long call(const char *method, const char *path, const char *token, const char *body,
                 json_t **out)
{
	return call_h(method, path, "X-Session-Token", token, body, out);
}

static const char *sval(const json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

static void expect_h(const char *method, const char *path, const char *hname, const char *token,
                     const char *body, long status, const char *type)
{
	json_t *v = NULL;
	long s = call_h(method, path, hname, token, body, &v);
	const char *t = v ? sval(v, "type") : NULL;

	if (s != status || (type && (!t || strcmp(t, type) != 0))) {
		char *text = v ? json_dumps(v, 0) : NULL;

		fail_msg("%s %s %s: got %ld %s, want %ld %s", method, path, body ? body : "", s,
		         text ? text : "(no body)", status, type ? type : "");
	}
	json_decref(v);
}

static void expect(const char *method, const char *path, const char *token, const char *body,
                   long status, const char *type)
{
	expect_h(method, path, "X-Session-Token", token, body, status, type);
}

static void make_user(const char *name, struct user *u)
{
	char body[256];
	json_t *v = NULL;

	snprintf(body, sizeof(body), "{\"email\":\"%s@example.org\",\"password\":\"%s\"}", name,
	         "correct horse battery");
	assert_int_equal(call("POST", "/api/auth/account/create", NULL, body, NULL), 204);
	snprintf(body, sizeof(body),
	         "{\"email\":\"%s@example.org\",\"password\":\"correct horse battery\"}", name);
	assert_int_equal(call("POST", "/api/auth/session/login", NULL, body, &v), 200);
	snprintf(u->token, sizeof(u->token), "%s", sval(v, "token"));
	snprintf(u->id, sizeof(u->id), "%s", sval(v, "user_id"));
	json_decref(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", name);
	assert_int_equal(call("POST", "/api/onboard/complete", u->token, body, NULL), 200);
}

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
	assert_non_null(sval(v, "id"));
	snprintf(id, 64, "%s", sval(v, "id"));
	json_decref(v);
	free(out.p);
}

static int setup(void **state)
{
	(void)state;
	setenv("SOLSTICE_RATELIMIT_ENABLED", "false", 1);
	d = td_start(NULL, NULL, START_MS);
	unsetenv("SOLSTICE_RATELIMIT_ENABLED");
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return td_stop(d, STOP_MS, false) == 0 ? 0 : -1;
}

static void test_emojis(void **state)
{
	struct user kim, lee;
	char sid[32], body[256], path[128];
	json_t *v = NULL;
	const char *e = "/api/custom/emoji/01ARZ3NDEKTSV4RRFFQ69G5FAV";

	(void)state;
	make_user("kim", &kim);
	make_user("lee", &lee);
	assert_int_equal(call("POST", "/api/servers/create", kim.token, "{\"name\":\"S\"}", &v),
	                 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	json_decref(v);

	expect("PUT", e, kim.token, "{}", 400, "FailedValidation");
	expect("PUT", e, kim.token, "{\"name\":\"Bad Name\",\"parent\":{\"type\":\"Detached\"}}",
	       400, "FailedValidation");
	expect("PUT", e, kim.token, "{\"name\":\"ok\",\"parent\":{\"type\":\"Nope\"}}", 400,
	       "FailedValidation");
	expect("PUT", e, kim.token, "{\"name\":\"ok\",\"parent\":{\"type\":\"Detached\"}}", 400,
	       "InvalidOperation");
	expect("PUT", e, kim.token,
	       "{\"name\":\"ok\",\"parent\":{\"type\":\"Server\",\"id\":"
	       "\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}}",
	       404, "NotFound");
	snprintf(body, sizeof(body),
	         "{\"name\":\"ok\",\"parent\":{\"type\":\"Server\",\"id\":\"%s\"}}", sid);
	expect("PUT", e, lee.token, body, 403, "MissingPermission");
	expect("PUT", e, NULL, body, 401, NULL);
	/* no upload has this id */
	expect("PUT", e, kim.token, body, 400, "UnknownAttachment");

	expect("GET", e, NULL, NULL, 404, "NotFound");
	expect("DELETE", e, kim.token, "{}", 404, "NotFound");

	snprintf(path, sizeof(path), "/api/servers/%s/emojis", sid);
	assert_int_equal(call("GET", path, kim.token, NULL, &v), 200);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	expect("GET", path, lee.token, NULL, 404, "NotFound");
	expect("GET", "/api/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/emojis", kim.token, NULL, 404,
	       "NotFound");
}

static void test_emoji_upload(void **state)
{
	struct user ann, bob;
	char sid[32], body[256], path[160], list[128], mine[64], theirs[64];
	json_t *v = NULL, *parent;

	(void)state;
	make_user("ann", &ann);
	make_user("bob", &bob);
	assert_int_equal(call("POST", "/api/servers/create", ann.token, "{\"name\":\"E\"}", &v),
	                 200);
	snprintf(sid, sizeof(sid), "%s", sval(json_object_get(v, "server"), "_id"));
	json_decref(v);
	upload_emoji(ann.token, mine);
	upload_emoji(bob.token, theirs);
	snprintf(body, sizeof(body),
	         "{\"name\":\"red_square\",\"parent\":{\"type\":\"Server\",\"id\":\"%s\"}}", sid);

	/* only the uploader may use an upload */
	snprintf(path, sizeof(path), "/api/custom/emoji/%s", theirs);
	expect("PUT", path, ann.token, body, 400, "UnknownAttachment");

	snprintf(path, sizeof(path), "/api/custom/emoji/%s", mine);
	assert_int_equal(call("PUT", path, ann.token, body, &v), 200);
	assert_string_equal(sval(v, "_id"), mine);
	assert_string_equal(sval(v, "name"), "red_square");
	assert_string_equal(sval(v, "creator_id"), ann.id);
	parent = json_object_get(v, "parent");
	assert_string_equal(sval(parent, "type"), "Server");
	assert_string_equal(sval(parent, "id"), sid);
	assert_false(json_is_true(json_object_get(v, "animated")));
	json_decref(v);
	/* the upload is used now */
	expect("PUT", path, ann.token, body, 400, "UnknownAttachment");

	assert_int_equal(call("GET", path, NULL, NULL, &v), 200);
	assert_string_equal(sval(v, "name"), "red_square");
	json_decref(v);
	snprintf(list, sizeof(list), "/api/servers/%s/emojis", sid);
	assert_int_equal(call("GET", list, ann.token, NULL, &v), 200);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(sval(json_array_get(v, 0), "_id"), mine);
	json_decref(v);

	expect("DELETE", path, bob.token, NULL, 403, "MissingPermission");
	expect("DELETE", path, ann.token, NULL, 204, NULL);
	expect("GET", path, NULL, NULL, 404, "NotFound");
	assert_int_equal(call("GET", list, ann.token, NULL, &v), 200);
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
