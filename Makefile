# Solstice: one non-recursive Makefile (STYLE rule 22).
#
#   make              build build/solstice
#   make run          install missing Debian packages, build, start on the defaults
#   make test         unit tests, integration tests, fuzz-corpus replay
#   make check-sanitize   the same suite under ASan+UBSan (build/asan/)
#   make fuzz FUZZ=cfg SECS=60   a real libFuzzer session (clang)
#   make bench        the benchmarks in tools/bench/
#
# Objects go to build/<variant>/; V=1 shows the commands.

VARIANT ?= release
B := build/$(VARIANT)

PKGS      := libwebsockets lmdb jansson openssl libsodium libcurl inih
# the default avatars (src/users/avatar.c) are drawn with libpng
PKGS      += libpng
# msgpack sockets (src/gateway/wire.c) and the Redis event bus (src/bus/bus_redis.c)
PKGS      += msgpack hiredis
# Autumn: image metadata, stripping and previews (libvips), MIME sniffing (libmagic)
PKGS      += vips libmagic
# Autumn: video dimensions (libavformat)
PKGS      += libavformat libavutil
# federation: Markdown -> HTML for outbound Notes (cmark), remote HTML -> Markdown (libxml2)
PKGS      += libcmark
PKGS      += libxml-2.0
TEST_PKGS := cmocka libcurl

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wwrite-strings -Wformat=2 -Wvla -fno-common
# packagers on newer compilers may pass WERROR=0
WERROR ?= 1
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT := -O2 -g
ifeq ($(VARIANT),asan)
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifeq ($(VARIANT),tsan)
OPT := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

GIT_SHA  := $(shell git rev-parse HEAD 2>/dev/null || echo '<failed to generate>')
GIT_TIME := $(shell git log -1 --format=%cI 2>/dev/null || echo '<failed to generate>')
GIT_DESC := $(shell git describe --tags --always 2>/dev/null || echo '<failed to generate>')
GIT_ORIGIN := $(shell git config --get remote.origin.url 2>/dev/null | grep -E '^https?://' || echo '<failed to generate>')
BUILD_DEFS := -DSOL_GIT_SHA='"$(GIT_SHA)"' -DSOL_GIT_TIME='"$(GIT_TIME)"' -DSOL_GIT_DESC='"$(GIT_DESC)"' \
              -DSOL_GIT_ORIGIN='"$(GIT_ORIGIN)"'

CFLAGS ?=
CPPFLAGS_ALL := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -pthread -I. -Isrc $(PKG_CFLAGS)
ALL_CFLAGS := $(CPPFLAGS_ALL) $(WARN) $(OPT) -MMD -MP $(CFLAGS)
# libunistring ships no .pc file
UNISTRING_LIBS ?= -lunistring
LDLIBS_ALL := $(PKG_LIBS) $(UNISTRING_LIBS) -lpthread -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- sources, written out per folder (no wildcards) ----
SRCS_CORE := src/core/mem.c src/core/buf.c src/core/str.c src/core/err.c src/core/log.c \
             src/core/arena.c src/core/jx.c src/core/crypto.c src/core/fileio.c
SRCS_ULID := src/core/ulid.c
SRCS_CFG  := src/core/cfg.c src/core/cfg_ini.c src/core/cfg_load.c
SRCS_STORAGE := storage/store.c storage/record.c storage/store_commit.c storage/queue.c
SRCS_BUS  := src/bus/bus.c
SRCS_GATEWAY := src/gateway/gateway.c
SRCS_HTTP := src/http/server.c src/http/server_req.c src/http/router.c src/http/message.c src/http/ratelimit.c
SRCS_API  := src/api/root.c src/api/routes.c src/api/dev.c src/api/helpers.c src/api/auth_account.c src/api/auth_account_self.c \
             src/api/auth_session.c src/api/auth_mfa.c src/api/onboard.c
SRCS_MAIL := src/mail/mailer.c src/mail/templates.c
SRCS_AUTH := src/auth/totp.c src/auth/password.c src/auth/email.c src/auth/username.c src/auth/codes.c \
             src/auth/records.c src/auth/authn.c src/auth/account.c
SRCS_USERS := src/users/user.c src/channels/channel.c src/servers/server.c src/users/relation.c \
              src/users/access.c src/users/avatar.c
SRCS_USERS_API := src/api/users.c src/api/users_edit.c src/api/users_relations.c src/api/users_dm.c
SRCS_PERMS := src/perms/perms.c src/perms/perms_json.c
SRCS_SERVERS := src/servers/server_state.c src/api/servers.c src/api/servers_edit.c src/api/roles.c \
                src/api/permissions.c
SRCS_MEMBERS := src/servers/members.c src/servers/invites.c src/api/members.c src/api/members_edit.c \
                src/api/bans.c src/api/invites.c
LIB_SRCS := $(SRCS_CORE) $(SRCS_ULID) $(SRCS_CFG) $(SRCS_STORAGE) $(SRCS_BUS) $(SRCS_GATEWAY) \
            $(SRCS_HTTP) $(SRCS_API) $(SRCS_MAIL) $(SRCS_AUTH) $(SRCS_USERS) $(SRCS_PERMS) $(SRCS_MEMBERS) $(SRCS_SERVERS) src/app.c
SRCS_GROUPS := src/channels/group.c src/channels/sync.c src/api/channels_groups.c src/api/sync.c
LIB_SRCS += $(SRCS_GROUPS)
LIB_SRCS += $(SRCS_USERS_API)
SRCS_MESSAGES := src/messages/message.c src/messages/post.c src/messages/mentions.c \
                 src/messages/history.c src/api/messages.c src/api/messages_query.c src/api/channels.c
LIB_SRCS += $(SRCS_MESSAGES)
SRCS_FILES := src/files/multipart.c
LIB_SRCS += $(SRCS_FILES)
SRCS_AUTUMN := src/files/file.c src/files/sniff.c src/files/image.c src/files/cleanup.c \
               src/api/autumn.c src/api/autumn_upload.c
LIB_SRCS += $(SRCS_AUTUMN)
SRCS_VIDEO := src/files/video.c
LIB_SRCS += $(SRCS_VIDEO)
SRCS_BLOB := src/files/blob.c src/files/blob_local.c src/files/blob_s3.c src/files/sigv4.c
LIB_SRCS += $(SRCS_BLOB)
SRCS_BOTS := src/users/bot.c src/api/bots.c src/api/safety.c
LIB_SRCS += $(SRCS_BOTS)
SRCS_WEBHOOKS := src/channels/webhook.c src/api/webhooks.c
LIB_SRCS += $(SRCS_WEBHOOKS)
SRCS_WEBHOOKS_EXEC := src/api/webhooks_exec.c
LIB_SRCS += $(SRCS_WEBHOOKS_EXEC)
SRCS_EMOJIS := src/servers/emoji.c src/api/emojis.c
LIB_SRCS += $(SRCS_EMOJIS)
SRCS_WIRE := src/gateway/wire.c
LIB_SRCS += $(SRCS_WIRE)
SRCS_BUS_REDIS := src/bus/bus_redis.c
LIB_SRCS += $(SRCS_BUS_REDIS)
SRCS_MSGSEARCH := src/messages/search.c src/messages/acks.c src/api/search.c src/api/reactions.c src/api/acks.c
LIB_SRCS += $(SRCS_MSGSEARCH)
SRCS_EVENTS := src/events/events.c src/events/ready.c src/events/subs.c src/events/presence.c src/events/presence_redis.c src/users/pchange.c \
               src/events/filter.c
LIB_SRCS += $(SRCS_EVENTS)
SRCS_EVVIS := src/events/visibility.c
LIB_SRCS += $(SRCS_EVVIS)
SRCS_FED_MAPPING := federation/process.c federation/follows.c federation/process_notes.c \
                    federation/outbox.c federation/outbox_notes.c federation/collections.c
LIB_SRCS += $(SRCS_FED_MAPPING)
SRCS_FED_FETCH := src/core/fetch.c
LIB_SRCS += $(SRCS_FED_FETCH)
# federation content: Markdown -> HTML, HTML -> Markdown, AS2 parse
SRCS_FED_CONTENT := federation/markdown.c federation/html.c federation/html_write.c federation/as2.c
LIB_SRCS += $(SRCS_FED_CONTENT)
# federation discovery: context, WebFinger, host-meta, NodeInfo, actors, profile pages
SRCS_FED_DISC := federation/fed.c federation/webfinger.c federation/nodeinfo.c federation/actor.c \
                 federation/profile.c
LIB_SRCS += $(SRCS_FED_DISC)
SRCS_FED_POLICY := federation/policy.c
LIB_SRCS += $(SRCS_FED_POLICY)
# federation signatures: HTTP signatures (cavage + RFC 9421), actor keys, base58
SRCS_FED_SIG := federation/httpsig.c federation/httpsig_parse.c federation/httpsig_sf.c federation/keys.c \
                federation/base58.c
LIB_SRCS += $(SRCS_FED_SIG)
SRCS_AUTH_CAPTCHA := src/auth/captcha.c
LIB_SRCS += $(SRCS_AUTH_CAPTCHA)
MAIN_SRC := src/main.c

# ---- tests ----
UNIT_TESTS_CORE := tests/unit/core/test_buf.c tests/unit/core/test_str.c tests/unit/core/test_err.c \
                   tests/unit/core/test_arena.c tests/unit/core/test_log.c tests/unit/core/test_jx.c \
                   tests/unit/core/test_crypto.c tests/unit/core/test_mem.c tests/unit/core/test_fileio.c
UNIT_TESTS_ULID := tests/unit/core/test_ulid.c
UNIT_TESTS_CFG  := tests/unit/core/test_cfg.c
UNIT_TESTS_STORAGE := tests/unit/storage/test_store.c tests/unit/storage/test_queue.c \
                      tests/unit/storage/test_durability.c tests/unit/storage/test_record.c
UNIT_TESTS_BUS  := tests/unit/bus/test_bus.c
UNIT_TESTS_GATEWAY := tests/unit/gateway/test_gateway.c
UNIT_TESTS_HTTP := tests/unit/http/test_router.c tests/unit/http/test_server.c \
                   tests/unit/http/test_ratelimit.c
UNIT_TESTS_API  := tests/unit/api/test_root.c
UNIT_TESTS_MAIL := tests/unit/mail/test_mailer.c
UNIT_TESTS_AUTH := tests/unit/auth/test_authn.c tests/unit/auth/test_totp.c tests/unit/auth/test_password.c \
                   tests/unit/auth/test_email.c tests/unit/auth/test_username.c \
                   tests/unit/auth/test_codes.c
UNIT_TESTS_PERMS := tests/unit/perms/test_perms.c
UNIT_TESTS := $(UNIT_TESTS_CORE) $(UNIT_TESTS_ULID) $(UNIT_TESTS_CFG) $(UNIT_TESTS_STORAGE) \
              $(UNIT_TESTS_BUS) $(UNIT_TESTS_GATEWAY) $(UNIT_TESTS_HTTP) $(UNIT_TESTS_API) $(UNIT_TESTS_MAIL) \
              $(UNIT_TESTS_AUTH) $(UNIT_TESTS_PERMS)
UNIT_TESTS_USERS := tests/unit/users/test_user.c
UNIT_TESTS += $(UNIT_TESTS_USERS)
UNIT_TESTS += tests/unit/messages/test_mentions.c tests/unit/messages/test_history.c
UNIT_TESTS_FILES := tests/unit/files/test_multipart.c
UNIT_TESTS += $(UNIT_TESTS_FILES)
UNIT_TESTS_BLOB := tests/unit/files/test_sigv4.c tests/unit/files/test_blob.c
UNIT_TESTS += tests/unit/files/test_file.c
UNIT_TESTS += $(UNIT_TESTS_BLOB)
UNIT_TESTS += tests/unit/channels/test_group.c tests/unit/channels/test_sync.c
UNIT_TESTS += tests/unit/gateway/test_wire.c
UNIT_TESTS += tests/unit/messages/test_search.c
UNIT_TESTS += tests/unit/federation/test_follows.c tests/unit/federation/test_process.c
UNIT_TESTS += tests/unit/federation/test_markdown.c
UNIT_TESTS += tests/unit/federation/test_html.c tests/unit/federation/test_as2.c
UNIT_TESTS += tests/unit/core/test_fetch.c
UNIT_TESTS += tests/unit/federation/test_policy.c
UNIT_TESTS += tests/unit/storage/test_store_multiproc.c
UNIT_TESTS += tests/unit/auth/test_captcha.c
# shared helpers linked into every test: a WebSocket client, daemon launcher, API client, node runner
TEST_SUPPORT := tests/support/wsclient.c tests/support/daemon.c tests/support/api_client.c tests/support/node.c
# the fedify interop peer (tests/js/fedify_peer.mjs) as a child process
TEST_SUPPORT += tests/support/fedify_peer.c
# the federation tests' two-daemon fixture and polls (fpair_)
TEST_SUPPORT += tests/support/fed_pair.c
# the unit tests' throw-away store (tstore_)
TEST_SUPPORT += tests/support/tstore.c
# the tests' loopback HTTP server (lsrv_)
TEST_SUPPORT += tests/support/lsrv.c
INTEG_TESTS := tests/integration/test_daemon.c tests/integration/test_revoltjs.c tests/integration/test_auth.c tests/integration/test_members.c tests/integration/test_servers.c tests/integration/test_invites.c tests/integration/test_roles.c
INTEG_TESTS += tests/integration/test_users.c
INTEG_TESTS += tests/integration/test_autumn.c
INTEG_TESTS += tests/integration/test_messages.c
INTEG_TESTS += tests/integration/test_groups.c tests/integration/test_sync.c
INTEG_TESTS += tests/integration/test_bots.c tests/integration/test_push_safety.c
INTEG_TESTS += tests/integration/test_webhooks.c
INTEG_TESTS += tests/integration/test_emojis.c
INTEG_TESTS += tests/integration/test_wire.c
INTEG_TESTS += tests/integration/test_redis_bus.c
INTEG_TESTS += tests/integration/test_events.c
INTEG_TESTS += tests/integration/test_revoltjs_events.c
INTEG_TESTS += tests/integration/test_acks.c
INTEG_TESTS += tests/integration/test_reactions.c
INTEG_TESTS += tests/integration/test_events_live.c
INTEG_TESTS += tests/integration/test_events_rest.c
INTEG_TESTS += tests/integration/test_admin_cli.c
INTEG_TESTS += tests/integration/test_captcha.c
FUZZ_TARGETS := tests/fuzz/fuzz_api.c tests/fuzz/fuzz_cfg.c tests/fuzz/fuzz_ulid.c tests/fuzz/fuzz_jx.c tests/fuzz/fuzz_ratelimit.c \
                tests/fuzz/fuzz_router.c tests/fuzz/fuzz_email.c tests/fuzz/fuzz_username.c \
                tests/fuzz/fuzz_perms.c tests/fuzz/fuzz_multipart.c
FUZZ_TARGETS += tests/fuzz/fuzz_wire.c
FUZZ_TARGETS += tests/fuzz/fuzz_sniff.c
FUZZ_TARGETS += tests/fuzz/fuzz_search.c
FUZZ_TARGETS += tests/fuzz/fuzz_markdown.c
FUZZ_TARGETS += tests/fuzz/fuzz_html.c tests/fuzz/fuzz_as2.c
FUZZ_TARGETS += tests/fuzz/fuzz_url.c
BENCH_SRCS := tools/bench/bare_http.c tools/bench/bench_store.c tools/bench/bench_pwhash.c tools/bench/connprobe.c \
              tools/bench/bare_civetweb.c tools/bench/bench_perms.c tools/bench/bench_server.c
BENCH_SRCS += tools/bench/bench_ws.c

BENCH_SRCS += tools/bench/bench_search.c
BENCH_SRCS += tools/bench/bench_messages.c
BENCH_SRCS += tools/bench/bench_autumn.c
BENCH_SRCS += tools/bench/bench_content.c
# federation inbox helper: ap_ids, remote actors, inbox
SRCS_FED_INBOX := federation/objmap.c federation/resolve_parse.c federation/resolve_cache.c \
                  federation/resolve.c federation/inbox.c
LIB_SRCS += $(SRCS_FED_INBOX)
UNIT_TESTS += tests/unit/federation/test_objmap.c tests/unit/federation/test_resolve.c
FUZZ_TARGETS += tests/fuzz/fuzz_resolve.c
BENCH_SRCS += tools/bench/bench_inbox.c
INTEG_TESTS += tests/integration/test_inbox.c
# federation delivery: persistent queue workers (curl multi), per-host state, admin API
SRCS_FED_DELIVER := federation/deliver.c federation/deliver_worker.c federation/deliver_admin.c \
                    federation/hosts.c federation/deliver_batch.c \
                    federation/deliver_parse.c
LIB_SRCS += $(SRCS_FED_DELIVER)
UNIT_TESTS += tests/unit/federation/test_deliver.c
FUZZ_TARGETS += tests/fuzz/fuzz_deliver.c
INTEG_TESTS += tests/integration/test_delivery.c
BENCH_SRCS += tools/bench/bench_deliver.c
# federation media: remote avatars/banners through the files pipeline (queue "ap_media")
SRCS_FED_MEDIA := federation/media.c
LIB_SRCS += $(SRCS_FED_MEDIA)
UNIT_TESTS += tests/unit/federation/test_media.c
INTEG_TESTS += tests/integration/test_fed_media.c
FUZZ_TARGETS += tests/fuzz/fuzz_media.c
# federation discovery tests (after the := lists above, which would reset them)
UNIT_TESTS += tests/unit/federation/test_webfinger.c tests/unit/federation/test_actor.c
FUZZ_TARGETS += tests/fuzz/fuzz_webfinger.c
INTEG_TESTS += tests/integration/test_fed_discovery.c
# interop with an independent implementation: fedify 2.x peer under Node 22 (tests/js)
INTEG_TESTS += tests/integration/test_fedify.c
BENCH_SRCS += tools/bench/bench_actor.c
# federation mapping (after the := lists above, which would reset them)
INTEG_TESTS += tests/integration/test_federation.c
FUZZ_TARGETS += tests/fuzz/fuzz_process.c
# federation signatures: tests, fuzz target, bench (after the := lists above)
UNIT_TESTS += tests/unit/federation/test_httpsig.c tests/unit/federation/test_keys.c
FUZZ_TARGETS += tests/fuzz/fuzz_httpsig.c
BENCH_SRCS += tools/bench/bench_httpsig.c
# Autumn video probe (files helper; after the := lists above)
UNIT_TESTS += tests/unit/files/test_video.c
FUZZ_TARGETS += tests/fuzz/fuzz_video.c
# federation extras: peers' software from NodeInfo (reaction style per family)
SRCS_FED_EXTRAS := federation/software.c federation/keys_admin.c
LIB_SRCS += $(SRCS_FED_EXTRAS)
UNIT_TESTS += tests/unit/federation/test_software.c
FUZZ_TARGETS += tests/fuzz/fuzz_software.c
INTEG_TESTS += tests/integration/test_fed_keys.c
INTEG_TESTS += tests/integration/test_fed_react.c
# federation FEP-8fcf followers synchronisation (sync helper)
SRCS_FED_SYNC := federation/csync.c federation/csync_check.c
LIB_SRCS += $(SRCS_FED_SYNC)
INTEG_TESTS += tests/integration/test_fed_sync.c
FUZZ_TARGETS += tests/fuzz/fuzz_csync.c
UNIT_TESTS += tests/unit/federation/test_csync.c
BENCH_SRCS += tools/bench/bench_csync.c
# federation per-user settings (solstice:federation in the settings sync; autoacc helper)
SRCS_FED_PREFS := federation/prefs.c
LIB_SRCS += $(SRCS_FED_PREFS)
INTEG_TESTS += tests/integration/test_fed_autoaccept.c
FUZZ_TARGETS += tests/fuzz/fuzz_prefs.c
# shared federation helpers split out of duplicated code (dsrc)
SRCS_FED_DSRC := federation/admin.c
LIB_SRCS += $(SRCS_FED_DSRC)
# ---- derived ----
LIB_OBJS   := $(LIB_SRCS:%.c=$(B)/%.o)
MAIN_OBJ   := $(MAIN_SRC:%.c=$(B)/%.o)
MEMTEST_OBJ := $(B)/src/core/mem_testing.o
SUPPORT_OBJS := $(TEST_SUPPORT:%.c=$(B)/%.o)
UNIT_BINS  := $(UNIT_TESTS:%.c=$(B)/%)
INTEG_BINS := $(INTEG_TESTS:%.c=$(B)/%)
FUZZ_BINS  := $(FUZZ_TARGETS:%.c=$(B)/%-replay)
BENCH_BINS := $(BENCH_SRCS:%.c=$(B)/%)
LIB := $(B)/libsolstice.a
SOLSTICE := $(B)/solstice

.PHONY: all run test unit integration fuzz-replay check-sanitize check-tsan fuzz bench \
        format check-format checksrc check-headers clean deps
.DEFAULT_GOAL := all

all: build/solstice

# build/solstice is the contract (DESIGN.md); it is the release variant.
build/solstice: $(SOLSTICE)
	$(Q)if [ "$(VARIANT)" = release ]; then cp -f $< $@; fi

deps:
	$(Q)tools/install-deps

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./build/solstice $(ARGS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(BUILD_DEFS) -c $< -o $@

$(MEMTEST_OBJ): src/core/mem.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -DSOL_TESTING -c $< -o $@

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -DSOL_TESTING -c $< -o $@

$(B)/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(SOLSTICE): $(MAIN_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(OPT) -pthread -o $@ $(MAIN_OBJ) $(LIB) $(LDLIBS_ALL)

# Tests link mem_testing.o ahead of the archive, so its OOM hook wins.
$(B)/tests/%: $(B)/tests/%.o $(MEMTEST_OBJ) $(SUPPORT_OBJS) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(OPT) -pthread -o $@ $< $(MEMTEST_OBJ) $(SUPPORT_OBJS) $(LIB) $(TEST_LIBS) $(LDLIBS_ALL)

$(B)/tests/fuzz/%-replay: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay.o $(MEMTEST_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(OPT) -pthread -o $@ $< $(B)/tests/fuzz/replay.o $(MEMTEST_OBJ) $(LIB) $(LDLIBS_ALL)

$(B)/tools/%: $(B)/tools/%.o $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(OPT) -pthread -o $@ $< $(LIB) $(TEST_LIBS) $(LDLIBS_ALL) $(BENCH_EXTRA_LIBS)

# tools/bench/bare_civetweb links civetweb only for the HTTP design comparison.
CIVET_LIBS ?= -lcivetweb
$(B)/tools/bench/bare_civetweb: BENCH_EXTRA_LIBS = $(CIVET_LIBS)

# operator CLI (tools/admin/), built by `make` as build/solstice-admin
ADMIN_BIN := $(B)/solstice-admin
all: build/solstice-admin
build/solstice-admin: $(ADMIN_BIN)
	$(Q)if [ "$(VARIANT)" = release ]; then cp -f $< $@; fi
$(ADMIN_BIN): $(B)/tools/admin/solstice-admin.o $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(OPT) -pthread -o $@ $< $(LIB) $(LDLIBS_ALL)
test-variant: $(ADMIN_BIN)
-include $(B)/tools/admin/solstice-admin.d

test: deps-check
	$(Q)$(MAKE) --no-print-directory test-variant
	$(Q)$(MAKE) --no-print-directory build/solstice

# The sanitizer variant runs the same suite against its own daemon build.
check-sanitize: deps-check
	$(Q)$(MAKE) --no-print-directory VARIANT=asan test-variant

check-tsan: deps-check
	$(Q)$(MAKE) --no-print-directory VARIANT=tsan test-variant

test-variant: $(SOLSTICE) $(UNIT_BINS) $(INTEG_BINS) $(FUZZ_BINS)
	$(Q)SOLSTICE_BIN=$(SOLSTICE) tools/run-tests $(B) "$(UNIT_BINS)" "$(INTEG_BINS)" "$(FUZZ_BINS)"

deps-check:
	$(Q)tools/install-deps --check || { echo "missing packages: run tools/install-deps (or make deps)"; exit 1; }

FUZZ ?= cfg
SECS ?= 60
fuzz:
	$(Q)mkdir -p build/fuzz build/fuzz/corpus_$(FUZZ)
	clang $(CPPFLAGS_ALL) -g -O1 -fsanitize=fuzzer,address,undefined -DSOL_TESTING \
		tests/fuzz/fuzz_$(FUZZ).c $(LIB_SRCS) -o build/fuzz/fuzz_$(FUZZ) $(LDLIBS_ALL)
	build/fuzz/fuzz_$(FUZZ) -max_total_time=$(SECS) build/fuzz/corpus_$(FUZZ) tests/fuzz/corpus/$(FUZZ) \
		$(if $(wildcard tests/fuzz/$(FUZZ).dict),-dict=tests/fuzz/$(FUZZ).dict)

bench: build/solstice $(BENCH_BINS)
	$(Q)tools/bench/run $(B)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

checksrc:
	$(Q)tools/checksrc

check-headers:
	$(Q)for h in $$(git ls-files 'src/*.h' 'storage/*.h' 'federation/*.h' | grep -v '_list\.h$$'); do \
		echo "#include \"$$h\"" | $(CC) $(CPPFLAGS_ALL) $(WARN) -fsyntax-only -x c - || exit 1; done

clean:
	rm -rf build

.PHONY: deps-check test-variant
# Keep intermediate objects (test support, fuzz drivers) between runs.
.SECONDARY:
-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(MEMTEST_OBJ:.o=.d) $(SUPPORT_OBJS:.o=.d) \
         $(UNIT_BINS:=.d) $(INTEG_BINS:=.d) $(FUZZ_BINS:-replay=.d) $(BENCH_BINS:=.d)
