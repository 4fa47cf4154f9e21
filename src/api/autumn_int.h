/*
 * api/autumn_int.h: what the two halves of the Autumn service share
 * (api/autumn.c serves files, api/autumn_upload.c takes uploads).
 * Nothing outside src/api/ includes this.
 */
#ifndef SOL_API_AUTUMN_INT_H
#define SOL_API_AUTUMN_INT_H

#include "core/err.h"
#include "http/http.h"

/* POST /autumn/{tag}: multipart field `file` -> {"id"} (REVOLT.md section 10). */
enum err api_autumn_upload(struct req_ctx *ctx);

/* Count the request in Revolt's autumn buckets; false when answered 429. */
bool api_autumn_rate_limit(struct req_ctx *ctx);

#endif /* SOL_API_AUTUMN_INT_H */
