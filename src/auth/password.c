/*
 * auth/password.c: minimum length and compromised-password set
 * (authifier config/passwords.rs: `password.len() < 8` then an exact
 * HashSet lookup). The set is an open-addressing table of slices into one
 * blob: the file's bytes, or the built-in list below.
 */
#include "auth/password.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

/*
 * Our own short list of very common passwords of 8 bytes or more, written
 * for Solstice (not authifier's pwned100k.txt). Operators who want the full
 * HIBP top-100k point auth.compromised_passwords at a file.
 */
static const char builtin_list[] =
    "password\npassword1\npassword12\npassword123\npassw0rd\np@ssw0rd\np@ssword\n"
    "12345678\n123456789\n1234567890\n0123456789\n987654321\n87654321\n11111111\n"
    "111111111\n00000000\n88888888\n12341234\n12121212\n11223344\n123123123\n"
    "147258369\n159753456\n741852963\n999999999\n1q2w3e4r\n1q2w3e4r5t\nq1w2e3r4\n"
    "q1w2e3r4t5\nqwertyuiop\nqwerty123\nqwerty12\nqwertyui\n1qaz2wsx\nzaq12wsx\n"
    "12qwaszx\n1234qwer\nqwer1234\nqazwsxedc\nzxcvbnm1\nasdfghjkl\nasdfasdf\n"
    "abcd1234\n1234abcd\nabc12345\nabcdefgh\naa123456\niloveyou\niloveyou1\n"
    "iloveyou2\nloveyou1\nlovelove\nsunshine\nsunshine1\nprincess\nprincess1\n"
    "football\nfootball1\nbaseball\nbaseball1\nbasketball\nsuperman\nsuperman1\n"
    "batman123\nstarwars\ntrustno1\nwhatever\nwelcome1\nwelcome123\nletmein1\n"
    "letmein123\nchangeme\ncomputer\ninternet\nmichael1\njennifer\njordan23\n"
    "mustang1\nshadow12\nmonkey123\ndragon12\nmaster12\nliverpool\nchelsea1\n"
    "arsenal1\nmanchester\npokemon1\ncharlie1\nmichelle\nsamantha\njessica1\n"
    "danielle\nbabygirl\nminecraft\nfuckyou1\nhello123\nhellohello\n"
    "administrator\nadmin123\nadminadmin\ntesttest\ntest1234\npasspass\n"
    "secret12\nfreedom1\nsoccer12\nnothing1\nqwerty1234\nasdf1234\n";

struct pw_slot {
	uint32_t off, len; /* len 0: empty slot */
};

struct pw_policy {
	unsigned min_bytes;
	char *owned;      /* file bytes, or NULL for the built-in list */
	const char *blob; /* `owned` or builtin_list */
	struct pw_slot *slots;
	size_t mask; /* slot count - 1 (a power of two) */
	unsigned long count;
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot holding `s`, or the empty slot where it would go. */
static struct pw_slot *find(const struct pw_policy *p, const char *s, size_t n)
{
	size_t i = (size_t)fnv1a(s, n) & p->mask;

	for (;;) {
		struct pw_slot *e = &p->slots[i];

		if (e->len == 0 || (e->len == n && memcmp(p->blob + e->off, s, n) == 0))
			return e;
		i = (i + 1) & p->mask;
	}
}

static enum err read_file(const char *path, char **out, size_t *len, struct err_info *ei)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	enum err rc = SE_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return SE_RAISEF(ei, SE_IO, "password: cannot open '%s': %s", path,
		                 strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = SE_RAISEF(ei, SE_IO, "password: '%s' is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > PW_FILE_MAX) {
		rc = SE_RAISEF(ei, SE_IO, "password: '%s' is larger than %u bytes", path,
		               PW_FILE_MAX);
		goto out;
	}
	data = mem_try_alloc((size_t)st.st_size + 1);
	if (!data) {
		rc = SE_NOMEM;
		goto out;
	}
	/* the file may shrink while we read; never read past the size we allocated */
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, data + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = SE_RAISEF(ei, SE_IO, "password: cannot read '%s': %s", path,
			               strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	data[got] = '\0';
	*out = data;
	*len = got;
	data = NULL;
out:
	mem_free(data);
	close(fd);
	return rc;
}

/* Check every line and size the table; `what` names the source in errors. */
static enum err scan(struct pw_policy *p, size_t len, const char *what, size_t *lines,
                     struct err_info *ei)
{
	size_t n = 0, line = 1, start = 0;

	if (memchr(p->blob, '\0', len))
		return SE_RAISEF(ei, SE_IO, "password: '%s' contains a NUL byte", what);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p->blob[i] != '\n')
			continue;
		if (i - start > PW_LINE_MAX + 1 ||
		    (i - start == PW_LINE_MAX + 1 && p->blob[i - 1] != '\r'))
			return SE_RAISEF(ei, SE_IO,
			                 "password: '%s' line %zu is longer than %d bytes", what,
			                 line, PW_LINE_MAX);
		n++;
		line++;
		start = i + 1;
	}
	*lines = n;
	return SE_OK;
}

static enum err build(struct pw_policy *p, size_t len, const char *what, struct err_info *ei)
{
	size_t lines = 0, cap = 16, start = 0;
	enum err rc = scan(p, len, what, &lines, ei);

	if (rc)
		return rc;
	/* load factor at most one half; lines <= 64 MiB so this cannot overflow */
	while (cap < 2 * lines)
		cap <<= 1;
	p->slots = mem_try_alloc(cap * sizeof(*p->slots));
	if (!p->slots)
		return SE_NOMEM;
	memset(p->slots, 0, cap * sizeof(*p->slots));
	p->mask = cap - 1;
	for (size_t i = 0; i <= len; i++) {
		size_t n;
		struct pw_slot *e;

		if (i < len && p->blob[i] != '\n')
			continue;
		n = i - start;
		if (n > 0 && p->blob[start + n - 1] == '\r')
			n--;
		if (n > 0 && n >= p->min_bytes) {
			e = find(p, p->blob + start, n);
			if (e->len == 0) {
				e->off = (uint32_t)start;
				e->len = (uint32_t)n;
				p->count++;
			}
		}
		start = i + 1;
	}
	return SE_OK;
}

enum err pw_policy_new(unsigned min_bytes, const char *compromised_file, struct pw_policy **out,
                       struct err_info *ei)
{
	struct pw_policy *p = xcalloc(1, sizeof(*p));
	size_t len = 0;
	const char *what;
	enum err rc;

	p->min_bytes = min_bytes;
	if (compromised_file && compromised_file[0]) {
		what = compromised_file;
		rc = read_file(compromised_file, &p->owned, &len, ei);
		if (rc)
			goto out;
		p->blob = p->owned;
	} else {
		what = "built-in list";
		p->blob = builtin_list;
		len = sizeof(builtin_list) - 1;
	}
	rc = build(p, len, what, ei);
out:
	if (rc) {
		pw_policy_free(p);
		return rc;
	}
	*out = p;
	return SE_OK;
}

void pw_policy_free(struct pw_policy *p)
{
	if (!p)
		return;
	mem_free(p->slots);
	mem_free(p->owned);
	mem_free(p);
}

unsigned long pw_policy_count(const struct pw_policy *p)
{
	return p->count;
}

enum err pw_check(const struct pw_policy *p, struct str pw)
{
	if (pw.n < p->min_bytes)
		return SE_ShortPassword;
	if (pw.n == 0 || pw.n > PW_LINE_MAX)
		return SE_OK;
	return find(p, pw.p, pw.n)->len ? SE_CompromisedPassword : SE_OK;
}
