/*
 * http/router.c: segment-wise matching of a path against route patterns.
 * A pattern segment is a literal, "{name}" (the whole segment) or
 * "lit{name}" (a literal prefix, then the rest: "/@{handle}").
 * Linear over the table; a table of a few hundred routes matches in well
 * under a microsecond, measured in tools/bench (no allocation).
 */
#include "http/router.h"

#include <string.h>

static size_t split(struct str path, struct str seg[LIM_PATH_SEGMENTS + 1])
{
	size_t n = 0, start = 0;

	if (path.n && path.p[0] == '/') {
		path.p++;
		path.n--;
	}
	/* A trailing slash is ignored; "/" itself has zero segments. */
	if (path.n && path.p[path.n - 1] == '/')
		path.n--;
	if (path.n == 0)
		return 0;
	for (size_t i = 0; i <= path.n; i++) {
		if (i < path.n && path.p[i] != '/')
			continue;
		/* One past the limit tells the caller the path is too deep. */
		if (n > LIM_PATH_SEGMENTS)
			return n;
		seg[n++] = (struct str){path.p + start, i - start};
		start = i + 1;
	}
	return n;
}

static bool is_param(struct str s)
{
	return s.n >= 3 && s.p[0] == '{' && s.p[s.n - 1] == '}';
}

/*
 * "@{name}": a literal prefix, then a parameter capturing the non-empty rest
 * of the segment. Returns the prefix length, or 0 when `s` is not one.
 */
static size_t prefixed_param(struct str s)
{
	long open = str_index(s, '{');

	if (open < 1 || s.p[s.n - 1] != '}' || s.n - (size_t)open < 3 ||
	    str_index((struct str){s.p, (size_t)open}, '}') >= 0)
		return 0;
	return (size_t)open;
}

static bool match_one(const char *pattern, struct str *segs, size_t nseg,
                      struct str params[LIM_ROUTE_PARAMS], size_t *n_params)
{
	struct str pat = str_from(pattern);
	struct str pseg[LIM_PATH_SEGMENTS + 1];
	size_t np = split(pat, pseg), k = 0;

	if (np != nseg)
		return false;
	for (size_t i = 0; i < np; i++) {
		size_t lit = 0;

		if (is_param(pseg[i])) {
			if (segs[i].n == 0 || k >= LIM_ROUTE_PARAMS)
				return false;
			params[k++] = segs[i];
		} else if ((lit = prefixed_param(pseg[i])) != 0) {
			if (segs[i].n <= lit || memcmp(segs[i].p, pseg[i].p, lit) != 0 ||
			    k >= LIM_ROUTE_PARAMS)
				return false;
			params[k++] = (struct str){segs[i].p + lit, segs[i].n - lit};
		} else if (!str_eq(pseg[i], segs[i])) {
			return false;
		}
	}
	*n_params = k;
	return true;
}

enum router_result router_match(const struct route *table, size_t n, enum http_method method,
                                struct str path, const struct route **out,
                                struct str params[LIM_ROUTE_PARAMS], size_t *n_params,
                                unsigned *allow)
{
	struct str segs[LIM_PATH_SEGMENTS + 1];
	struct str tmp[LIM_ROUTE_PARAMS];
	enum router_result res = ROUTER_NO_PATH;
	enum http_method want = method == HTTP_HEAD ? HTTP_GET : method;
	size_t nseg, ntmp = 0;
	unsigned methods = 0;

	if (path.n == 0 || path.p[0] != '/')
		return ROUTER_NO_PATH;
	nseg = split(path, segs);
	if (nseg > LIM_PATH_SEGMENTS)
		return ROUTER_NO_PATH;
	for (size_t i = 0; i < n; i++) {
		if (!match_one(table[i].pattern, segs, nseg, tmp, &ntmp))
			continue;
		methods |= 1u << table[i].method;
		if (table[i].method == HTTP_GET)
			methods |= 1u << HTTP_HEAD;
		if (res == ROUTER_MATCH)
			continue;
		if (table[i].method != want) {
			res = ROUTER_NO_METHOD;
			continue;
		}
		res = ROUTER_MATCH;
		*out = &table[i];
		memcpy(params, tmp, ntmp * sizeof(tmp[0]));
		*n_params = ntmp;
		if (!allow)
			break;
	}
	if (allow)
		*allow = methods;
	return res;
}

enum err router_check(const struct route *table, size_t n, struct err_info *ei)
{
	for (size_t i = 0; i < n; i++) {
		struct str pseg[LIM_PATH_SEGMENTS + 1];
		struct str pat = str_from(table[i].pattern);
		size_t np, params = 0;

		if (pat.n == 0 || pat.p[0] != '/' || !table[i].fn ||
		    (unsigned)table[i].method >= HTTP_METHOD__COUNT)
			return SE_RAISEF(ei, SE_INVAL, "route '%s' is malformed", table[i].pattern);
		np = split(pat, pseg);
		if (np > LIM_PATH_SEGMENTS)
			return SE_RAISEF(ei, SE_INVAL, "route '%s' has too many segments",
			                 table[i].pattern);
		for (size_t k = 0; k < np; k++) {
			if (pseg[k].n == 0)
				return SE_RAISEF(ei, SE_INVAL, "route '%s' has an empty segment",
				                 table[i].pattern);
			if (is_param(pseg[k]) || prefixed_param(pseg[k]))
				params++;
		}
		if (params > LIM_ROUTE_PARAMS)
			return SE_RAISEF(ei, SE_INVAL, "route '%s' has too many parameters",
			                 table[i].pattern);
	}
	return SE_OK;
}
