/*
 * federation/deliver_parse.c: delivery's pure helpers: response
 * classification, the retry schedule (Mastodon's n^4 + 15 + rand),
 * Retry-After (RFC 9110 10.2.3: delta-seconds or an HTTP-date in its three
 * forms) and the queue payload. No I/O, no clock, no state; fuzzed by
 * tests/fuzz/fuzz_deliver.c.
 */
#include <string.h>

#include "core/ulid.h"
#include "federation/deliver.h"
#include "federation/deliver_int.h"
#include "federation/httpsig.h"

enum fdel_outcome fdel_classify(long status, bool resigned)
{
	if (status >= 200 && status < 300)
		return FDEL_OK;
	if ((status == 400 || status == 401) && !resigned)
		return FDEL_RESIGN;
	if (status < 200 || status == 401 || status == 408 || status == 429 || status >= 500)
		return FDEL_RETRY;
	return FDEL_PERMANENT;
}

int64_t fdel_backoff_ms(unsigned n, int64_t unit_ms, uint32_t rnd)
{
	int64_t k = n > 1000 ? 1000 : n;

	return (k * k * k * k + 15 + (int64_t)(rnd % 30) * (k + 1)) * unit_ms;
}

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A run of 1..max digits at *p; false otherwise. */
static bool digits(struct str s, size_t *p, size_t min, size_t max, long *out)
{
	size_t i = *p, n = 0;
	long v = 0;

	while (i < s.n && n < max && s.p[i] >= '0' && s.p[i] <= '9') {
		v = v * 10 + (s.p[i] - '0');
		i++;
		n++;
	}
	if (n < min || (i < s.n && s.p[i] >= '0' && s.p[i] <= '9'))
		return false;
	*p = i;
	*out = v;
	return true;
}

static bool lit(struct str s, size_t *p, const char *l)
{
	size_t n = strlen(l);

	if (s.n - *p < n || memcmp(s.p + *p, l, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool month(struct str s, size_t *p, int *mon)
{
	for (int i = 0; i < 12; i++)
		if (lit(s, p, months[i])) {
			*mon = i;
			return true;
		}
	return false;
}

static bool hms(struct str s, size_t *p, long *h, long *m, long *sec)
{
	return digits(s, p, 2, 2, h) && lit(s, p, ":") && digits(s, p, 2, 2, m) && lit(s, p, ":") &&
	       digits(s, p, 2, 2, sec) && *h < 24 && *m < 60 && *sec < 61;
}

/* Skips a day name ("Sun" or "Sunday") and returns the position after it. */
static bool dayname(struct str s, size_t *p)
{
	size_t i = *p;

	while (i < s.n && i - *p < 10 &&
	       ((s.p[i] >= 'A' && s.p[i] <= 'Z') || (s.p[i] >= 'a' && s.p[i] <= 'z')))
		i++;
	if (i - *p < 3)
		return false;
	*p = i;
	return true;
}

/* An HTTP-date in any of its three forms -> unix seconds. */
static bool http_date(struct str s, int64_t *out)
{
	size_t p = 0;
	long day, year, h, m, sec;
	int mon = 0;

	if (!dayname(s, &p))
		return false;
	if (lit(s, &p, ", ")) {
		size_t q = p;

		if (digits(s, &q, 2, 2, &day) && lit(s, &q, " ")) {
			/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
			p = q;
			if (!month(s, &p, &mon) || !lit(s, &p, " ") || !digits(s, &p, 4, 4, &year))
				return false;
		} else {
			/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
			if (!digits(s, &p, 2, 2, &day) || !lit(s, &p, "-") || !month(s, &p, &mon) ||
			    !lit(s, &p, "-") || !digits(s, &p, 2, 2, &year))
				return false;
			/* RFC 9110: a two-digit year more than 50 years ahead is in the past */
			year += year < 70 ? 2000 : 1900;
		}
		if (!lit(s, &p, " ") || !hms(s, &p, &h, &m, &sec) || !lit(s, &p, " GMT"))
			return false;
	} else {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (!lit(s, &p, " ") || !month(s, &p, &mon) || !lit(s, &p, " "))
			return false;
		lit(s, &p, " ");
		if (!digits(s, &p, 1, 2, &day) || !lit(s, &p, " ") || !hms(s, &p, &h, &m, &sec) ||
		    !lit(s, &p, " ") || !digits(s, &p, 4, 4, &year))
			return false;
	}
	if (p != s.n || day < 1 || day > 31)
		return false;
	*out = hsig_days_from_civil(year, (unsigned)mon + 1, (unsigned)day) * 86400 + h * 3600 +
	       m * 60 + sec;
	return true;
}

bool fdel_parse_retry_after(struct str v, int64_t now_ms, int64_t *delay_ms)
{
	struct str t = str_trim(v);
	uint64_t secs;
	int64_t at;

	if (t.n == 0 || t.n > 64)
		return false;
	if (t.p[0] >= '0' && t.p[0] <= '9') {
		if (!str_to_u64(t, UINT32_MAX, &secs))
			return false;
		*delay_ms = (int64_t)secs * 1000;
	} else {
		if (!http_date(t, &at))
			return false;
		*delay_ms = at * 1000 > now_ms ? at * 1000 - now_ms : 0;
	}
	if (*delay_ms > FDEL_RETRY_AFTER_CAP_MS)
		*delay_ms = FDEL_RETRY_AFTER_CAP_MS;
	return true;
}

/* ---- queue payload: "1\n<did>\n<act>\n<signer>\n<inbox>" ---- */

enum err fdel_item_decode(struct str payload, struct fdel_item *out)
{
	struct str s = payload, v = str_cut(&s, '\n');

	if (!str_eq_cstr(v, "1"))
		return SE_PARSE;
	out->did = str_cut(&s, '\n');
	out->act = str_cut(&s, '\n');
	out->signer = str_cut(&s, '\n');
	out->inbox = s;
	if (out->did.n == 0 || out->did.n >= FDEL_DID_MAX || out->act.n != ULID_LEN ||
	    out->signer.n == 0 || out->signer.n > FDEL_SIGNER_MAX || out->inbox.n == 0 ||
	    out->inbox.n > FDEL_URL_MAX || str_index(out->inbox, '\n') >= 0)
		return SE_PARSE;
	return SE_OK;
}
