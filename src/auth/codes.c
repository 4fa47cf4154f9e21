/*
 * auth/codes.c: recovery codes (authifier impl/mfa/mod.rs alphabet), nanoid
 * tokens and invite codes (Revolt channel_invites/model.rs alphabet), all
 * drawn without bias through core/crypto.h.
 */
#include "auth/codes.h"

#include "core/crypto.h"

static const char recovery_alphabet[] = "1234567890abcdefghjkmnpqrstvwxyz";
static const char invite_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz";

_Static_assert(sizeof(recovery_alphabet) - 1 == 32, "authifier: 32 symbols");
_Static_assert(sizeof(invite_alphabet) - 1 == 54, "Revolt: 54 symbols");

void codes_recovery_new(char codes[CODES_RECOVERY_COUNT][CODES_RECOVERY_SIZE])
{
	for (int i = 0; i < CODES_RECOVERY_COUNT; i++) {
		cry_random_string(codes[i], 5, recovery_alphabet);
		codes[i][5] = '-';
		cry_random_string(codes[i] + 6, 5, recovery_alphabet);
	}
}

void codes_token_new(char *out, size_t n)
{
	cry_token(out, n);
}

void codes_invite_new(char out[CODES_INVITE_LEN + 1])
{
	cry_random_string(out, CODES_INVITE_LEN, invite_alphabet);
}
