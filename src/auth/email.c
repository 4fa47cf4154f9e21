/*
 * auth/email.c: e-mail syntax (validator crate, HTML5 "valid e-mail
 * address" + IP literal + IDN) and authifier's normalise_email.
 */
#include "auth/email.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <unistr.h>

#include "core/buf.h"
#include "core/mem.h"

#define LABEL_MAX 63
#define DOMAIN_MAX 255

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool local_char(unsigned char c)
{
	return is_alnum(c) || (c && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

/* One label of the ASCII form or of an IDN (non-ASCII letters, marks, digits). */
static bool label_ok(const char *p, size_t n)
{
	bool ascii = true;
	size_t i = 0;

	if (n == 0 || n > LABEL_MAX || p[0] == '-' || p[n - 1] == '-')
		return false;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		ucs4_t uc;
		int len;

		if (c < 0x80) {
			if (!is_alnum(c) && c != '-')
				return false;
			i++;
			continue;
		}
		ascii = false;
		len = u8_mbtouc(&uc, (const uint8_t *)p + i, n - i);
		if (len <= 0 || uc == 0xfffd ||
		    !uc_is_general_category(
		        uc,
		        uc_general_category_or(uc_general_category_or(UC_CATEGORY_L, UC_CATEGORY_M),
		                               UC_CATEGORY_N)))
			return false;
		i += (size_t)len;
	}
	/* an IDN label must not start with a combining mark */
	if (!ascii) {
		ucs4_t uc;

		u8_mbtouc(&uc, (const uint8_t *)p, n);
		if (uc_is_general_category(uc, UC_CATEGORY_M))
			return false;
	}
	return true;
}

static bool ip_literal_ok(const char *p, size_t n)
{
	char ip[64];
	unsigned char addr[16];

	if (n < 3 || p[0] != '[' || p[n - 1] != ']' || n - 2 >= sizeof(ip))
		return false;
	memcpy(ip, p + 1, n - 2);
	ip[n - 2] = '\0';
	for (size_t i = 0; i < n - 2; i++)
		if (!((ip[i] >= '0' && ip[i] <= '9') || (ip[i] >= 'a' && ip[i] <= 'f') ||
		      (ip[i] >= 'A' && ip[i] <= 'F') || ip[i] == ':' || ip[i] == '.'))
			return false;
	return inet_pton(AF_INET, ip, addr) == 1 || inet_pton(AF_INET6, ip, addr) == 1;
}

static bool domain_ok(const char *p, size_t n)
{
	size_t start = 0, labels = 0;

	if (n == 0 || n > DOMAIN_MAX)
		return false;
	if (p[0] == '[')
		return ip_literal_ok(p, n);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '.')
			continue;
		if (!label_ok(p + start, i - start))
			return false;
		labels++;
		start = i + 1;
	}
	return labels >= 2;
}

enum err email_validate(struct str e, struct err_info *ei)
{
	size_t at = e.n;
	bool ok = false;

	if (e.n == 0 || e.n > EMAIL_MAX || u8_check((const uint8_t *)e.p, e.n) != NULL)
		goto out;
	for (size_t i = e.n; i > 0; i--) {
		if (e.p[i - 1] == '@') {
			at = i - 1;
			break;
		}
	}
	if (at == e.n || at == 0 || at > EMAIL_LOCAL_MAX)
		goto out;
	for (size_t i = 0; i < at; i++)
		if (!local_char((unsigned char)e.p[i]))
			goto out;
	ok = domain_ok(e.p + at + 1, e.n - at - 1);
out:
	if (ok)
		return SE_OK;
	if (ei)
		ei->with = "email";
	return SE_RAISE(ei, SE_IncorrectData);
}

/*
 * Where authifier's `([^@]+)(@.+)` matches: the leftmost run of non-'@'
 * bytes followed by '@' and at least one character other than '\n'.
 * Group 2 runs from that '@' to the first '\n' or the end.
 */
static bool split(struct str e, size_t *l0, size_t *at, size_t *end)
{
	for (size_t i = 0; i < e.n; i++) {
		size_t j = i;

		if (e.p[i] == '@')
			continue;
		while (j < e.n && e.p[j] != '@')
			j++;
		if (j + 1 < e.n && e.p[j + 1] != '\n') {
			size_t k = j + 1;

			while (k < e.n && e.p[k] != '\n')
				k++;
			*l0 = i;
			*at = j;
			*end = k;
			return true;
		}
		/* no match starting inside this run; the next run begins after j */
		i = j;
	}
	return false;
}

static enum err lower_append(struct buf *out, const char *p, size_t n)
{
	uint8_t res[2 * EMAIL_NORMALISE_MAX + 16], *r;
	size_t len = sizeof(res);
	bool ascii = true;

	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)p[i] < 0x80;
	if (ascii) {
		for (size_t i = 0; i < n; i++)
			buf_putc(out, (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 32) : p[i]);
		return buf_err(out);
	}
	/* full mapping with context (final sigma, U+0130), like Rust's to_lowercase */
	r = u8_tolower((const uint8_t *)p, n, NULL, NULL, res, &len);
	if (!r)
		return SE_NOMEM;
	buf_append(out, r, len);
	/* libunistring mallocs only if the result outgrows res (it cannot: 2x) */
	if (r != res)
		mem_free(r);
	return buf_err(out);
}

enum err email_normalise(struct str e, struct buf *out)
{
	char tmp[EMAIL_NORMALISE_MAX];
	size_t l0, at, end, n = 0;

	if (e.n > EMAIL_NORMALISE_MAX)
		return SE_TOO_LARGE;
	if (u8_check((const uint8_t *)e.p, e.n) != NULL || !split(e, &l0, &at, &end))
		return SE_INVAL;
	/* `\+.+|\.` on the local part, leftmost first */
	for (size_t i = l0; i < at; i++) {
		if (e.p[i] == '.')
			continue;
		if (e.p[i] == '+' && i + 1 < at && e.p[i + 1] != '\n') {
			while (i + 1 < at && e.p[i + 1] != '\n')
				i++;
			continue;
		}
		tmp[n++] = e.p[i];
	}
	memcpy(tmp + n, e.p + at, end - at);
	n += end - at;
	return lower_append(out, tmp, n);
}
