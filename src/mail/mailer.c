/*
 * mail/mailer.c: the "mail" queue record, RFC 5322 messages (RFC 2047
 * subjects) and the SMTP worker (libcurl, RFC 5321, STARTTLS RFC 3207).
 * Revolt sends the same mails synchronously through authifier + lettre; we
 * queue them with the account change and send them from one thread.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/mem.h"
#include "mail/mailer.h"
#include "storage/queue.h"

/* idle poll: retries become due without a kick */
#define MAIL_POLL_MS (5 * 1000)
/* a claim outlives the longest send, so a crash mid-send only delays it */
#define MAIL_LEASE_MS (3 * MAIL_SEND_TIMEOUT_MS)
/* payload copy + message + slack */
#define MAIL_ARENA_MAX (QUEUE_PAYLOAD_MAX + 64u * 1024u)

static const struct queue_def mail_queue = {MAIL_QUEUE_NAME, MAIL_BACKOFF_BASE_MS,
                                            MAIL_BACKOFF_CAP_MS, MAIL_MAX_ATTEMPTS};

struct mail {
	const struct cfg *cfg;
	struct store *store;
	struct queue_def q;
	char *url;       /* owned: smtp[s]://host:port/ehlo-domain */
	char *from_addr; /* owned: "<addr>" for MAIL FROM */
	int64_t poll_ms;
	pthread_t thread;
	bool started;
	atomic_bool abort_send; /* read by the curl progress callback */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, stopping;   /* under mu */
	struct mail_stats stats; /* under mu */
};

/* ---- checks shared by enqueue and build ---- */

static enum err check_addr(struct str a)
{
	size_t at = 0;

	if (a.n == 0)
		return SE_INVAL;
	if (a.n > MAIL_ADDR_MAX)
		return SE_TOO_LARGE;
	for (size_t i = 0; i < a.n; i++) {
		unsigned char c = (unsigned char)a.p[i];

		if (c <= 0x20 || c == 0x7f || strchr("<>,;\"()\\[]", c))
			return SE_INVAL;
		if (c == '@')
			at = i;
	}
	if (at == 0 || at == a.n - 1)
		return SE_INVAL;
	return SE_OK;
}

static enum err check_subject(struct str s)
{
	if (s.n > MAIL_SUBJECT_MAX)
		return SE_TOO_LARGE;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return SE_INVAL;
	}
	return SE_OK;
}

static enum err check_body(struct str b)
{
	size_t line = 0;

	if (b.n > MAIL_BODY_MAX)
		return SE_TOO_LARGE;
	for (size_t i = 0; i < b.n; i++) {
		char c = b.p[i];

		if (c == '\0')
			return SE_INVAL;
		if (c == '\n' || c == '\r')
			line = 0;
		else if (++line > MAIL_LINE_MAX)
			return SE_INVAL;
	}
	return SE_OK;
}

/*
 * Splits a configured From ("Name <a@b>" or "a@b") into the bare address
 * and its domain, which must be a plain DNS name (it goes into the EHLO
 * URL and the Message-ID).
 */
static enum err from_parts(struct str from, struct str *addr, struct str *domain)
{
	struct str a = str_trim(from);
	long lt = str_index(a, '<');
	size_t at;

	for (size_t i = 0; i < from.n; i++)
		if ((unsigned char)from.p[i] < 0x20 || from.p[i] == 0x7f)
			return SE_INVAL;
	if (lt >= 0) {
		a.p += lt + 1;
		a.n -= (size_t)lt + 1;
		if (str_index(a, '>') < 0)
			return SE_INVAL;
		a.n = (size_t)str_index(a, '>');
	}
	if (check_addr(a) != SE_OK)
		return SE_INVAL;
	at = a.n;
	while (at > 0 && a.p[at - 1] != '@')
		at--;
	domain->p = a.p + at;
	domain->n = a.n - at;
	for (size_t i = 0; i < domain->n; i++) {
		char c = domain->p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return SE_INVAL;
	}
	*addr = a;
	return SE_OK;
}

/* ---- the queue record: "M1 <date_ms> <n_to> <n_subject> <n_body>\n" + bytes ---- */

enum err mail_enqueue(struct store_wtxn *w, struct str to, struct str subject, struct str body_text,
                      int64_t now_ms)
{
	struct buf rec = BUF_INIT(QUEUE_PAYLOAD_MAX);
	enum err rc;

	if (now_ms < 0)
		return SE_INVAL;
	rc = check_addr(to);
	if (rc == SE_OK)
		rc = check_subject(subject);
	if (rc == SE_OK)
		rc = check_body(body_text);
	if (rc)
		return rc;
	buf_printf(&rec, "M1 %" PRId64 " %zu %zu %zu\n", now_ms, to.n, subject.n, body_text.n);
	buf_append_str(&rec, to);
	buf_append_str(&rec, subject);
	buf_append_str(&rec, body_text);
	rc = buf_err(&rec);
	if (rc)
		goto out;
	rc = queue_enqueue(w, &mail_queue, buf_str(&rec), now_ms, now_ms, NULL);
out:
	buf_release(&rec);
	return rc;
}

struct mail_rec {
	int64_t date_ms;
	struct str to, subject, body;
};

static bool next_u64(struct str *line, uint64_t max, uint64_t *out)
{
	return str_to_u64(str_cut(line, ' '), max, out);
}

static enum err rec_parse(struct str p, struct mail_rec *r)
{
	struct str line;
	uint64_t date, nt, ns, nb;

	if (str_index(p, '\n') < 0)
		return SE_PARSE;
	line = str_cut(&p, '\n');
	if (!str_eq_cstr(str_cut(&line, ' '), "M1") || !next_u64(&line, INT64_MAX, &date) ||
	    !next_u64(&line, MAIL_ADDR_MAX, &nt) || !next_u64(&line, MAIL_SUBJECT_MAX, &ns) ||
	    !next_u64(&line, MAIL_BODY_MAX, &nb) || line.n != 0 || nt + ns + nb != p.n)
		return SE_PARSE;
	r->date_ms = (int64_t)date;
	r->to = (struct str){p.p, nt};
	r->subject = (struct str){p.p + nt, ns};
	r->body = (struct str){p.p + nt + ns, nb};
	return SE_OK;
}

/* ---- the message ---- */

static void put_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_putc(b, tab[(v >> 18) & 63]);
		buf_putc(b, tab[(v >> 12) & 63]);
		buf_putc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_putc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

/*
 * RFC 2047 "B" encoded words of at most 45 input bytes (75 characters),
 * cut only between UTF-8 sequences, separated by folding whitespace.
 */
static void put_subject(struct buf *b, struct str s)
{
	size_t i = 0;
	bool ascii = true;

	for (size_t k = 0; k < s.n; k++)
		if ((unsigned char)s.p[k] >= 0x80)
			ascii = false;
	if (ascii) {
		buf_append_str(b, s);
		return;
	}
	while (i < s.n) {
		size_t n = s.n - i < 45 ? s.n - i : 45;

		while (n > 1 && i + n < s.n && ((unsigned char)s.p[i + n] & 0xc0) == 0x80)
			n--;
		if (i > 0)
			buf_puts(b, "\r\n ");
		buf_puts(b, "=?UTF-8?B?");
		put_base64(b, (const unsigned char *)s.p + i, n);
		buf_puts(b, "?=");
		i += n;
	}
}

static void put_date(struct buf *b, int64_t ms)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

enum err mail_message_build(struct str from, struct str to, struct str subject, struct str body,
                            int64_t date_ms, struct str msgid_local, struct buf *out)
{
	struct str addr, domain;
	enum err rc;

	rc = check_addr(to);
	if (rc == SE_OK)
		rc = check_subject(subject);
	if (rc == SE_OK)
		rc = check_body(body);
	if (rc == SE_OK && from_parts(from, &addr, &domain) != SE_OK)
		rc = SE_INVAL;
	for (size_t i = 0; rc == SE_OK && i < msgid_local.n; i++)
		if ((unsigned char)msgid_local.p[i] <= 0x20 || strchr("<>@", msgid_local.p[i]))
			rc = SE_INVAL;
	if (rc == SE_OK && (msgid_local.n == 0 || date_ms < 0))
		rc = SE_INVAL;
	if (rc)
		return rc;

	buf_puts(out, "From: ");
	buf_append_str(out, str_trim(from));
	buf_puts(out, "\r\nTo: ");
	buf_append_str(out, to);
	buf_puts(out, "\r\nSubject: ");
	put_subject(out, subject);
	buf_puts(out, "\r\nDate: ");
	put_date(out, date_ms);
	buf_puts(out, "\r\nMessage-ID: <");
	buf_append_str(out, msgid_local);
	buf_putc(out, '@');
	buf_append_str(out, domain);
	buf_puts(out, ">\r\nMIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=utf-8\r\n"
	              "Content-Transfer-Encoding: 8bit\r\n"
	              "Auto-Submitted: auto-generated\r\n\r\n");
	for (size_t i = 0; i < body.n; i++) {
		if (body.p[i] == '\r') {
			if (i + 1 < body.n && body.p[i + 1] == '\n')
				i++;
			buf_puts(out, "\r\n");
		} else if (body.p[i] == '\n') {
			buf_puts(out, "\r\n");
		} else {
			buf_putc(out, body.p[i]);
		}
	}
	if (body.n > 0 && body.p[body.n - 1] != '\n' && body.p[body.n - 1] != '\r')
		buf_puts(out, "\r\n");
	return buf_err(out);
}

/* ---- SMTP over libcurl ---- */

struct reader {
	struct str msg;
	size_t off;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = r->msg.n - r->off;

	if (n > size * nmemb)
		n = size * nmemb;
	memcpy(dst, r->msg.p + r->off, n);
	r->off += n;
	return n;
}

static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct mail *m = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&m->abort_send) ? 1 : 0;
}

/* One SMTP transaction; on failure `err` (size n) says why. */
static enum err smtp_send(struct mail *m, const char *rcpt, struct str msg, char *err, size_t n)
{
	const struct cfg_smtp *s = &m->cfg->smtp;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct reader rd = {msg, 0};
	struct curl_slist *to = NULL;
	CURL *h = curl_easy_init();
	CURLcode cc = CURLE_OUT_OF_MEMORY;

	if (!h)
		goto out;
	to = curl_slist_append(NULL, rcpt);
	if (!to)
		goto out;
	curl_easy_setopt(h, CURLOPT_URL, m->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, m->from_addr);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.n);
	/*
	 * Opportunistic STARTTLS: upgrade when the server offers it, send in
	 * clear when it does not (smtps:// on port 465 is TLS from the start).
	 * Certificates are verified whenever TLS is used.
	 */
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(s->use_tls ? CURLUSESSL_TRY : CURLUSESSL_NONE));
	if (*s->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)MAIL_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)MAIL_SEND_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, m);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(h);
out:
	/* a long reason is cut: it is only kept as the item's last error */
	if (cc != CURLE_OK &&
	    snprintf(err, n, "%s%s%s", curl_easy_strerror(cc), *errbuf ? ": " : "", errbuf) < 0)
		err[0] = '\0';
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	return cc == CURLE_OK ? SE_OK : SE_IO;
}

/* ---- the worker ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count(struct mail *m, uint64_t *field)
{
	pthread_mutex_lock(&m->mu);
	(*field)++;
	pthread_mutex_unlock(&m->mu);
}

/* Sends one claimed item, then acks it or reports the failure. */
static void process(struct mail *m, const struct queue_item *it, struct arena *a)
{
	struct buf msg = BUF_INIT(MAIL_MESSAGE_MAX);
	struct err_info ei = ERR_INFO_INIT;
	struct mail_rec r;
	char err[QUEUE_ERROR_MAX] = "", esc[QUEUE_ERROR_MAX * 4];
	char *rcpt = NULL;
	bool dead = false;
	enum err rc;

	rc = rec_parse(it->payload, &r);
	if (rc == SE_OK)
		rc = mail_message_build(str_from(m->cfg->smtp.from_address), r.to, r.subject,
		                        r.body, r.date_ms, str_from(it->id), &msg);
	if (rc == SE_OK) {
		rcpt = arena_printf(a, "<%.*s>", (int)r.to.n, r.to.p);
		if (!rcpt)
			rc = SE_NOMEM;
	}
	if (rc)
		snprintf(err, sizeof(err), "bad queued mail: %s", err_type(rc));
	else
		rc = smtp_send(m, rcpt, buf_str(&msg), err, sizeof(err));

	if (rc == SE_OK) {
		rc = queue_ack_one(m->store, &m->q, it->id, it->token, &ei);
		if (rc)
			log_warn("mail: ack of '%s' failed: %s", it->id, err_type(rc));
		count(m, &m->stats.sent);
		goto out;
	}
	count(m, &m->stats.failed);
	/* the reason may quote the SMTP server's reply */
	log_escape(esc, sizeof(esc), err, strlen(err));
	rc = queue_retry_one(m->store, &m->q, it->id, it->token, now_ms(), str_from(err), &dead,
	                     &ei);
	if (rc) {
		log_warn("mail: retry of '%s' failed: %s", it->id, err_type(rc));
	} else if (dead) {
		count(m, &m->stats.dead);
		log_error("mail: '%s' dead after %u attempts: %s", it->id, it->attempts, esc);
	} else {
		log_warn("mail: attempt %u of '%s' failed: %s", it->attempts, it->id, esc);
	}
out:
	buf_release(&msg);
}

static void *worker(void *arg)
{
	struct mail *m = arg;

	for (;;) {
		struct arena a = ARENA_INIT(MAIL_ARENA_MAX);
		struct err_info ei = ERR_INFO_INIT;
		struct queue_item it;
		struct timespec until;
		enum err rc;

		pthread_mutex_lock(&m->mu);
		m->kicked = false;
		if (m->stopping) {
			pthread_mutex_unlock(&m->mu);
			break;
		}
		pthread_mutex_unlock(&m->mu);

		rc = queue_claim_one(m->store, &m->q, now_ms(), MAIL_LEASE_MS, &a, &it, &ei);
		if (rc == SE_OK) {
			process(m, &it, &a);
			arena_release(&a);
			continue;
		}
		arena_release(&a);
		if (rc != SE_NOT_FOUND)
			log_warn("mail: claim failed: %s", err_type(rc));

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += m->poll_ms / 1000;
		until.tv_nsec += (m->poll_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&m->mu);
		while (!m->stopping && !m->kicked)
			if (pthread_cond_timedwait(&m->cv, &m->mu, &until) != 0)
				break;
		pthread_mutex_unlock(&m->mu);
	}
	return NULL;
}

/* ---- lifecycle ---- */

enum err mail_new(const struct cfg *cfg, struct store *store, struct mail **out,
                  struct err_info *ei)
{
	const struct cfg_smtp *s = &cfg->smtp;
	struct str addr, domain;
	struct buf url = BUF_INIT(4096);
	pthread_condattr_t ca;
	struct mail *m;

	if (!*s->host)
		return SE_RAISEF(ei, SE_CONFIG, "mail: 'smtp.host' is not set");
	if (strpbrk(s->host, "/?#@ \r\n"))
		return SE_RAISEF(ei, SE_CONFIG, "mail: bad 'smtp.host'");
	if (from_parts(str_from(s->from_address), &addr, &domain) != SE_OK)
		return SE_RAISEF(ei, SE_CONFIG, "mail: bad 'smtp.from_address'");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return SE_RAISEF(ei, SE_IO, "mail: libcurl would not initialise");

	/* port 465 is implicit TLS (RFC 8314); the path is the EHLO name */
	buf_printf(&url, "%s://%s%s%s:%u/%.*s", s->port == 465 ? "smtps" : "smtp",
	           strchr(s->host, ':') && *s->host != '[' ? "[" : "", s->host,
	           strchr(s->host, ':') && *s->host != '[' ? "]" : "", s->port, (int)domain.n,
	           domain.p);
	if (buf_err(&url)) {
		enum err rc = buf_err(&url);

		buf_release(&url);
		curl_global_cleanup();
		return SE_RAISE(ei, rc);
	}
	m = xcalloc(1, sizeof(*m));
	m->cfg = cfg;
	m->store = store;
	m->q = mail_queue;
	m->poll_ms = MAIL_POLL_MS;
	m->url = xstrdup(buf_cstr(&url));
	buf_release(&url);
	m->from_addr = xmalloc(addr.n + 3);
	snprintf(m->from_addr, addr.n + 3, "<%.*s>", (int)addr.n, addr.p);
	atomic_init(&m->abort_send, false);
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = m;
	return SE_OK;
}

enum err mail_start(struct mail *m)
{
	if (m->started)
		return SE_BUSY;
	pthread_mutex_lock(&m->mu);
	m->stopping = false;
	pthread_mutex_unlock(&m->mu);
	atomic_store(&m->abort_send, false);
	if (pthread_create(&m->thread, NULL, worker, m) != 0)
		return SE_IO;
	m->started = true;
	return SE_OK;
}

void mail_stop(struct mail *m)
{
	if (!m || !m->started)
		return;
	atomic_store(&m->abort_send, true);
	pthread_mutex_lock(&m->mu);
	m->stopping = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	m->started = false;
}

void mail_free(struct mail *m)
{
	if (!m)
		return;
	mail_stop(m);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	mem_free(m->url);
	mem_free(m->from_addr);
	mem_free(m);
	curl_global_cleanup();
}

void mail_kick(struct mail *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->kicked = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

void mail_stats_get(struct mail *m, struct mail_stats *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->stats;
	pthread_mutex_unlock(&m->mu);
}

void mail_set_timing(struct mail *m, int64_t backoff_base_ms, int64_t backoff_cap_ms,
                     int64_t poll_ms)
{
	m->q.backoff_base_ms = backoff_base_ms;
	m->q.backoff_cap_ms = backoff_cap_ms;
	m->q.max_attempts = MAIL_MAX_ATTEMPTS;
	m->poll_ms = poll_ms > 0 ? poll_ms : MAIL_POLL_MS;
}
