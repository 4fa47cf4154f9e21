/*
 * tests/unit/core/test_err.c: the error list against Revolt's: every type of
 * revolt-openapi.json's Error schema is present with REVOLT.md's status,
 * internal codes never reach the wire, payload fields render.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "http/http.h"

static const struct {
	const char *type;
	int status;
} revolt[] = {
    {"LabelMe", 500},
    {"AlreadyOnboarded", 403},
    {"UsernameTaken", 409},
    {"InvalidUsername", 400},
    {"DiscriminatorChangeRatelimited", 429},
    {"UnknownUser", 404},
    {"AlreadyFriends", 409},
    {"AlreadySentRequest", 409},
    {"Blocked", 409},
    {"BlockedByOther", 403},
    {"NotFriends", 403},
    {"TooManyPendingFriendRequests", 400},
    {"UnknownChannel", 404},
    {"UnknownAttachment", 400},
    {"UnknownMessage", 404},
    {"CannotEditMessage", 403},
    {"CannotJoinCall", 400},
    {"TooManyAttachments", 400},
    {"TooManyEmbeds", 400},
    {"TooManyReplies", 400},
    {"TooManyChannels", 400},
    {"EmptyMessage", 422},
    {"PayloadTooLarge", 422},
    {"CannotRemoveYourself", 400},
    {"GroupTooLarge", 403},
    {"AlreadyInGroup", 409},
    {"NotInGroup", 404},
    {"AlreadyPinned", 400},
    {"NotPinned", 400},
    {"UnknownServer", 404},
    {"InvalidRole", 404},
    {"Banned", 403},
    {"TooManyServers", 400},
    {"TooManyEmoji", 400},
    {"TooManyRoles", 400},
    {"AlreadyInServer", 409},
    {"CannotTimeoutYourself", 400},
    {"ReachedMaximumBots", 400},
    {"IsBot", 400},
    {"IsNotBot", 400},
    {"BotIsPrivate", 403},
    {"CannotReportYourself", 400},
    {"MissingPermission", 403},
    {"MissingUserPermission", 403},
    {"NotElevated", 403},
    {"NotPrivileged", 403},
    {"CannotGiveMissingPermissions", 403},
    {"NotOwner", 403},
    {"DatabaseError", 500},
    {"InternalError", 500},
    {"InvalidOperation", 400},
    {"InvalidCredentials", 401},
    {"InvalidProperty", 400},
    {"InvalidSession", 401},
    {"InvalidFlagValue", 400},
    {"NotAuthenticated", 401},
    {"DuplicateNonce", 409},
    {"NotFound", 404},
    {"NoEffect", 200},
    {"FailedValidation", 400},
    {"ProxyError", 400},
    {"FileTooSmall", 422},
    {"FileTooLarge", 422},
    {"FileTypeNotAllowed", 400},
    {"ImageProcessingFailed", 500},
    {"NoEmbedData", 400},
    {"VosoUnavailable", 400},
    {"FeatureDisabled", 400},
};

static void test_every_revolt_type(void **state)
{
	(void)state;
	assert_int_equal(sizeof(revolt) / sizeof(revolt[0]), 68);
	for (size_t i = 0; i < sizeof(revolt) / sizeof(revolt[0]); i++) {
		enum err e = err_from_type(revolt[i].type);

		assert_int_not_equal(e, SE__COUNT);
		assert_true(err_is_wire(e));
		assert_string_equal(err_type(e), revolt[i].type);
		assert_int_equal(err_http_status(e), revolt[i].status);
		assert_int_equal(err_to_wire(e), e);
	}
}

/* When the shared reference is beside the checkout, compare with it too. */
static void test_matches_openapi(void **state)
{
	json_t *doc = json_load_file("../shared/reference/revolt-openapi.json", 0, NULL);
	json_t *variants, *v;
	size_t i, n = 0;

	(void)state;
	if (!doc)
		skip();
	variants = json_object_get(
	    json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
	                    "Error"),
	    "oneOf");
	json_array_foreach(variants, i, v)
	{
		json_t *type = json_object_get(json_object_get(v, "properties"), "type");
		const char *name =
		    json_string_value(json_array_get(json_object_get(type, "enum"), 0));

		assert_non_null(name);
		assert_int_not_equal(err_from_type(name), SE__COUNT);
		n++;
	}
	assert_int_equal(n, 68);
	json_decref(doc);
}

static void test_internal_codes_map(void **state)
{
	static const struct {
		enum err in, out;
	} cases[] = {
	    {SE_PARSE, SE_FailedValidation},    {SE_INVAL, SE_FailedValidation},
	    {SE_TOO_LARGE, SE_PayloadTooLarge}, {SE_NOT_FOUND, SE_NotFound},
	    {SE_IO, SE_DatabaseError},          {SE_NOMEM, SE_InternalError},
	    {SE_TIMEOUT, SE_InternalError},     {SE_EXISTS, SE_InternalError},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_false(err_is_wire(cases[i].in));
		assert_int_equal(err_to_wire(cases[i].in), cases[i].out);
	}
	assert_string_equal(err_type(SE_OK), "OK");
	assert_string_equal(err_type((enum err) - 1), "?");
	assert_string_equal(err_type(SE__COUNT), "?");
	assert_int_equal(err_from_type("NoSuchThing"), SE__COUNT);
	assert_int_equal(err_http_status(SE_NoEffect), 200);
}

static void test_error_bodies(void **state)
{
	static const struct {
		enum err e;
		const char *body;
		int status;
	} cases[] = {
	    {SE_UnknownUser, "{\"type\":\"UnknownUser\",\"location\":\"x.c:1\"}", 404},
	    {SE_TooManyChannels,
	     "{\"type\":\"TooManyChannels\",\"max\":200,\"location\":\"x.c:1\"}", 400},
	    {SE_MissingPermission,
	     "{\"type\":\"MissingPermission\",\"permission\":\"SendMessage\",\"location\":\"x.c:"
	     "1\"}",
	     403},
	    {SE_DatabaseError,
	     "{\"type\":\"DatabaseError\",\"operation\":\"find_one\",\"collection\":\"users\","
	     "\"location\":\"x.c:1\"}",
	     500},
	    {SE_PARSE, "{\"type\":\"FailedValidation\",\"error\":\"bad\",\"location\":\"x.c:1\"}",
	     400},
	    {SE_FeatureDisabled,
	     "{\"type\":\"FeatureDisabled\",\"feature\":\"webhooks\",\"location\":\"x.c:1\"}", 400},
	    {SE_NoEffect, "{\"type\":\"NoEffect\",\"location\":\"x.c:1\"}", 200},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err_info ei = ERR_INFO_INIT;
		struct http_resp r;

		ei.where = "x.c:1";
		ei.max = 200;
		ei.permission = "SendMessage";
		ei.operation = "find_one";
		ei.collection = "users";
		ei.feature = "webhooks";
		snprintf(ei.detail, sizeof(ei.detail), "bad");
		http_resp_init(&r);
		http_resp_error(&r, cases[i].e, &ei, true);
		assert_int_equal(r.status, cases[i].status);
		assert_string_equal(buf_cstr(&r.body), cases[i].body);
		assert_string_equal(r.content_type, "application/json");
		http_resp_release(&r);
	}
}

static void test_raise_records_site(void **state)
{
	struct err_info ei = ERR_INFO_INIT;

	(void)state;
	assert_int_equal(SE_RAISEF(&ei, SE_PARSE, "field %s", "x"), SE_PARSE);
	assert_non_null(strstr(ei.where, "test_err.c:"));
	assert_string_equal(ei.detail, "field x");
	assert_int_equal(SE_RAISE(NULL, SE_IO), SE_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_revolt_type),  cmocka_unit_test(test_matches_openapi),
	    cmocka_unit_test(test_internal_codes_map), cmocka_unit_test(test_error_bodies),
	    cmocka_unit_test(test_raise_records_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
