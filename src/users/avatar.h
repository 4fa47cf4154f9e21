/*
 * users/avatar.h: the default avatars served at
 * GET /users/{id}/default_avatar (REVOLT.md section 6).
 *
 * Owns: drawing the seven PNGs (a filled circle on a transparent square,
 * one colour each) once, on first use, with libpng, and choosing one by the
 * last character of an id as the backend does. The only file that includes
 * <png.h>.
 * Threads: any thread; the images are built once (pthread_once) and never
 * change afterwards.
 * Memory: the PNG bytes are borrowed for the life of the process.
 */
#ifndef SOL_USERS_AVATAR_H
#define SOL_USERS_AVATAR_H

#include "core/err.h"
#include "core/str.h"

/* pixels per side of a default avatar */
#define USER_AVATAR_SIDE 256
/* the number of default avatars (Revolt's avatars/1.png .. 7.png) */
#define USER_AVATAR_COUNT 7

/* Which avatar (1..7) Revolt serves for an id ending in `last`. */
int user_avatar_index(char last);

/*
 * The PNG for id `id` into *png (borrowed, valid until exit).
 * SE_NOMEM or SE_IO when the images could not be made.
 */
enum err user_avatar_png(struct str id, struct str *png) __attribute__((warn_unused_result));

#endif /* SOL_USERS_AVATAR_H */
