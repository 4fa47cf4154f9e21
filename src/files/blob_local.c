/*
 * files/blob_local.c: the local-disk backend. Blobs live at
 * <root>/<first two hex digits>/<hash>; uploads are written under
 * <root>/.tmp (the same file system), fsynced and renamed into place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "files/blob_int.h"

/* temporary files older than this are leftovers of a crash */
#define STALE_TMP_SECS 3600

struct local {
	char *root;
};

/* Owned "<root>/ab/<hash>"; `dir` (may be NULL) gets owned "<root>/ab". */
static char *obj_path(const struct local *l, const char *hash, char **dir)
{
	char fan[3] = {hash[0], hash[1], '\0'};
	char *d = blob_join(l->root, fan);
	char *p = blob_join(d, hash);

	if (dir)
		*dir = d;
	else
		mem_free(d);
	return p;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static enum err local_put(struct blob_store *s, int fd, const char *tmp_path, uint64_t len,
                          const char *hash, struct err_info *ei)
{
	struct local *l = s->be;
	char *dir = NULL, *path = obj_path(l, hash, &dir);
	struct stat st;
	enum err rc = SE_OK;

	(void)len;
	if (stat(path, &st) == 0) {
		/* de-duplication: the same plaintext is already stored */
		unlink(tmp_path);
		goto out;
	}
	if (fsync(fd) != 0) {
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot sync '%s': %s", tmp_path, strerror(errno));
		unlink(tmp_path);
		goto out;
	}
	rc = blob_mkdirs(dir, ei);
	if (rc) {
		unlink(tmp_path);
		goto out;
	}
	/* a concurrent upload of the same bytes may win the race: both copies are equal */
	if (rename(tmp_path, path) != 0) {
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot rename to '%s': %s", path, strerror(errno));
		unlink(tmp_path);
		goto out;
	}
	fsync_dir(dir);
out:
	mem_free(dir);
	mem_free(path);
	return rc;
}

static enum err open_blob(struct local *l, const char *hash, int *fd, struct err_info *ei)
{
	char *path = obj_path(l, hash, NULL);
	enum err rc = SE_OK;
	int f = open(path, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		rc = errno == ENOENT ? SE_RAISE(ei, SE_NOT_FOUND)
		                     : SE_RAISEF(ei, SE_IO, "blob: cannot open '%s': %s", path,
		                                 strerror(errno));
	else
		*fd = f;
	mem_free(path);
	return rc;
}

static enum err local_open(struct blob_store *s, const char *hash, int *fd, struct err_info *ei)
{
	return open_blob(s->be, hash, fd, ei);
}

static enum err local_head(struct blob_store *s, const char *hash, unsigned char hdr[BLOB_HDR],
                           struct err_info *ei)
{
	enum err rc;
	int fd = -1;

	rc = open_blob(s->be, hash, &fd, ei);
	if (rc)
		return rc;
	if (pread(fd, hdr, BLOB_HDR, 0) != BLOB_HDR)
		rc = SE_RAISEF(ei, SE_PARSE, "blob: '%s' is not a readable blob", hash);
	close(fd);
	return rc;
}

static enum err local_exists(struct blob_store *s, const char *hash, bool *yes, struct err_info *ei)
{
	char *path = obj_path(s->be, hash, NULL);
	struct stat st;
	enum err rc = SE_OK;

	if (stat(path, &st) == 0)
		*yes = true;
	else if (errno == ENOENT)
		*yes = false;
	else
		rc = SE_RAISEF(ei, SE_IO, "blob: cannot stat '%s': %s", path, strerror(errno));
	mem_free(path);
	return rc;
}

static enum err local_del(struct blob_store *s, const char *hash, struct err_info *ei)
{
	char *path = obj_path(s->be, hash, NULL);
	enum err rc = SE_OK;

	if (unlink(path) != 0)
		rc = errno == ENOENT ? SE_RAISE(ei, SE_NOT_FOUND)
		                     : SE_RAISEF(ei, SE_IO, "blob: cannot delete '%s': %s", path,
		                                 strerror(errno));
	mem_free(path);
	return rc;
}

static void local_free(void *be)
{
	struct local *l = be;

	if (!l)
		return;
	mem_free(l->root);
	mem_free(l);
}

static const struct blob_ops local_ops = {
    local_put, local_open, local_head, local_exists, local_del, local_free,
};

/* Remove temporary files a crash left behind; young ones may belong to a live writer. */
static void sweep_tmp(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (strncmp(e->d_name, "up-", 3) != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > STALE_TMP_SECS) {
			log_info("blob: removing stale upload '%s/%s'", tmp, e->d_name);
			unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
}

enum err blob_local_new(struct blob_store *s, const struct blob_opts *o, struct err_info *ei)
{
	struct local *l = xcalloc(1, sizeof(*l));
	enum err rc;

	l->root = o->root && o->root[0] ? xstrdup(o->root) : blob_join(o->data_dir, "blobs");
	rc = blob_mkdirs(l->root, ei);
	if (rc) {
		local_free(l);
		return rc;
	}
	s->tmp_dir = blob_join(l->root, ".tmp");
	s->ops = &local_ops;
	s->be = l;
	sweep_tmp(s->tmp_dir);
	return SE_OK;
}
