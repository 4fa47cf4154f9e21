// tests/js/fedify_peer.mjs: an independent ActivityPub server built on
// @fedify/fedify, for tests/integration/test_fedify.c.
//
// One actor, "peer" (Person, RSA-2048 + Ed25519 keys, inbox with fedify's
// signature verification ON, followers collection, auto-Accept of Follows),
// plus a small control API the C test drives over HTTP:
//   GET  /control/health                -> {ok, actor}
//   POST /control/lookup {handle|url}   -> the actor fedify resolved (WebFinger + signed GET)
//   POST /control/follow {actor}        -> sends Follow from peer, {id}
//   POST /control/unfollow {actor}      -> sends Undo{Follow}
//   POST /control/note {to, content, shared} -> sends a direct Create{Note} (to the shared
//                                          inbox when `shared`), {id, note}
//   POST /control/edit {to, note, content} -> sends Update{Note} of a Note sent before
//   POST /control/delete {to, note}     -> sends Delete{Tombstone} of it
//   POST /control/react {to, object, emoji} -> sends EmojiReact (and Like when emoji is empty)
//   GET  /control/inbox?since=N         -> every inbox POST: HTTP status fedify answered,
//                                          signature scheme, and for the accepted ones the
//                                          activity, its verified signing key and owner
//   POST /control/nodeinfo {url}        -> the server's NodeInfo as fedify parses it (strict)
//   POST /control/get {url}             -> {document}: a GET signed as peer (fedify's loader)
//   POST /control/post {inbox, activity, spec, tamper}
//                                       -> POSTs `activity` to `inbox` signed by fedify's
//                                          signRequest as peer#main-key (spec "cavage" or
//                                          "rfc9421"), then spoiled as `tamper` says ("none",
//                                          "body", "unsigned", "old", "other-key"); {status, body}
//   GET  /control/followers             -> actor ids that follow peer
//   GET  /control/sent                  -> fedify's outgoing POSTs {url, scheme, status}
//   POST /control/quit                  -> exits 0
//
// Usage: node22 tests/js/fedify_peer.mjs PORT   (PORT 0 = any free port)
// Prints "fedify-peer ready http://127.0.0.1:<port>" once it listens; logs one
// line per inbox POST and per control call. Loopback only, plain http: fedify's
// WebFinger client always asks https:// for acct: handles, so its fetches of
// https://127.0.0.1:*/.well-known/webfinger are sent over http (nothing else is
// rewritten). Needs Node >= 22.

import http from "node:http";
import { Temporal } from "@js-temporal/polyfill";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  parseNodeInfo,
  signRequest,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Delete,
  EmojiReact,
  Endpoints,
  Follow,
  Like,
  Mention,
  Note,
  Person,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";

const LIMIT_BODY = 1 << 20;
const LIMIT_LOG = 1000;
const port = Number.parseInt(process.argv[2] ?? "0", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: fedify_peer.mjs PORT");
  process.exit(2);
}

// Every outgoing request fedify makes is logged with its answer, so a failing
// step shows what Solstice said.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const req = input instanceof Request ? input : null;
  const u = new URL(req ? req.url : String(input));
  const method = init?.method ?? req?.method ?? "GET";
  let target = input;
  if (u.protocol === "https:" && u.hostname === "127.0.0.1" && u.pathname === "/.well-known/webfinger") {
    u.protocol = "http:";
    target = u;
  }
  const h = new Headers(init?.headers ?? req?.headers ?? {});
  const scheme = h.has("signature-input") ? "rfc9421" : h.has("signature") ? "cavage" : "none";
  try {
    const res = await realFetch(target, init);
    log(`out: ${method} ${u.href} (${scheme}) -> ${res.status}`);
    if (method === "POST") {
      sent.push({ url: u.href, scheme, status: res.status });
      if (sent.length > LIMIT_LOG) sent.shift();
    }
    return res;
  } catch (err) {
    log(`out: ${method} ${u.href} failed: ${err?.cause ?? err}`);
    throw err;
  }
};

const sent = []; // outgoing POSTs: {url, scheme, status} (fedify double-knocks on >= 400)
const received = []; // one entry per inbox POST: {seq, status, scheme, key_id, verified, type, id, actor, activity, ...}
const pending = new Map(); // activity id -> what its listener saw, until the POST answers
let seq = 0;
const followers = new Map(); // actor id -> inbox/endpoint info (the Actor object)
const sentFollows = new Map(); // followee id -> Follow activity
const notes = new Map(); // Note id -> the Note as last sent (for edit/delete)
let origin = null; // set once listening
let federation = null;

function log(...a) {
  console.log(new Date().toISOString(), ...a);
}

function record(entry) {
  entry.seq = ++seq;
  received.push(entry);
  if (received.length > LIMIT_LOG) received.shift();
  return entry;
}

const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

function buildFederation() {
  const fed = createFederation({
    kv: new MemoryKvStore(),
    // No message queue: inbox listeners run before fedify answers 202, so the
    // control API sees an activity as soon as its POST returns, and every send
    // is immediate (its error reaches the control call).
    origin,
    allowPrivateAddress: true,
    userAgent: { software: "solstice-fedify-peer/1.0" },
    skipSignatureVerification: false,
  });

  fed
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== "peer") return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Fedify Peer",
        summary: "An independent ActivityPub server for Solstice's interop test.",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        followers: ctx.getFollowersUri(identifier),
        url: ctx.getActorUri(identifier),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      if (identifier !== "peer") return [];
      return keyPairs;
    });

  fed.setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier) => {
    if (identifier !== "peer") return null;
    return { items: [...followers.values()] };
  });

  // Listener side of an inbox POST: fedify calls listeners only after the HTTP
  // signature verified and its key's owner is the activity's actor; the HTTP
  // wrapper (handle) adds status, scheme and keyId to the same entry.
  const remember = async (_ctx, activity) => {
    const json = await activity.toJsonLd({ format: "compact" });
    const e = {
      listener: true,
      type: json.type ?? null,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      activity: json,
    };
    if (e.id) pending.set(e.id, e);
    log(`inbox: ${e.type} ${e.id} from ${e.actor}`);
    return e;
  };

  fed
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, async (ctx, follow) => {
      const e = await remember(ctx, follow);
      if (follow.objectId?.href !== ctx.getActorUri("peer").href) return;
      const follower = await follow.getActor(ctx);
      if (follower == null || follower.id == null) {
        e.accept_error = "could not resolve the follower";
        return;
      }
      followers.set(follower.id.href, follower);
      // Answer in the background: the sender is still waiting for our 202.
      ctx
        .sendActivity(
          { identifier: "peer" },
          follower,
          new Accept({
            id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
            actor: ctx.getActorUri("peer"),
            object: follow,
          }),
          { immediate: true },
        )
        .then(() => {
          e.accepted = true;
          log(`accept of ${follow.id?.href} delivered`);
        })
        .catch((err) => {
          e.accept_error = String(err);
          log(`accept failed: ${err}`);
        });
    })
    .on(Undo, async (ctx, undo) => {
      const e = await remember(ctx, undo);
      const obj = await undo.getObject(ctx);
      log(`undo of ${obj?.constructor?.name ?? "nothing"} ${undo.objectId?.href}`);
      if (obj instanceof Follow && e.actor) followers.delete(e.actor);
    })
    .on(Create, async (ctx, create) => {
      const e = await remember(ctx, create);
      const obj = await create.getObject(ctx);
      if (obj instanceof Note) {
        e.note = {
          id: obj.id?.href ?? null,
          content: obj.content?.toString() ?? null,
          to: obj.toIds.map((u) => u.href),
          cc: obj.ccIds.map((u) => u.href),
          in_reply_to: obj.replyTargetId?.href ?? null,
          attributed_to: obj.attributionId?.href ?? null,
        };
      }
    })
    .on(Accept, async (ctx, a) => {
      await remember(ctx, a);
    })
    .on(Reject, async (ctx, a) => {
      await remember(ctx, a);
    })
    .on(Update, async (ctx, a) => {
      await remember(ctx, a);
    })
    .on(Delete, async (ctx, a) => {
      await remember(ctx, a);
    })
    .on(Like, async (ctx, a) => {
      await remember(ctx, a);
    })
    .on(EmojiReact, async (ctx, a) => {
      await remember(ctx, a);
    })
    .on(Activity, async (ctx, a) => {
      await remember(ctx, a);
    })
    .onError((_ctx, err) => {
      log(`inbox listener error: ${err?.stack ?? err}`);
    });
  return fed;
}

function ctxOf() {
  return federation.createContext(new URL(origin), undefined);
}

// An actor from a handle (WebFinger, then its self link) or a URL, fetched
// with a GET signed as peer; errors say which stage failed.
async function resolveActor(ctx, ref) {
  let url = ref;
  if (!/^https?:\/\//.test(ref)) {
    const wf = await ctx.lookupWebFinger(`acct:${ref.replace(/^@/, "")}`);
    const self = wf?.links?.find((l) =>
      l.rel === "self" && /^application\/(activity\+json|ld\+json)/.test(l.type ?? "")
    );
    if (self?.href == null) {
      throw new Error(`WebFinger of ${ref}: no AS2 self link (got ${JSON.stringify(wf)})`);
    }
    url = self.href;
  }
  const loader = await ctx.getDocumentLoader({ identifier: "peer" });
  const obj = await ctx.lookupObject(url, { documentLoader: loader });
  if (obj == null || obj.id == null || obj.inboxId == null) {
    throw new Error(`${url}: not an actor with an inbox (${obj?.constructor?.name ?? "nothing"})`);
  }
  return obj;
}

async function control(method, path, body) {
  const ctx = ctxOf();
  const me = ctx.getActorUri("peer");
  if (method === "GET" && path === "/control/health") return { ok: true, actor: me.href };
  if (method === "GET" && path === "/control/followers") return { followers: [...followers.keys()] };
  if (method === "GET" && path === "/control/sent") return { items: sent };
  if (method === "POST" && path === "/control/quit") {
    setTimeout(() => process.exit(0), 50);
    return { ok: true };
  }
  if (method === "POST" && path === "/control/lookup") {
    const ref = body.handle ?? body.url;
    if (typeof ref !== "string") throw new Error("handle or url required");
    const wf = body.handle ? await ctx.lookupWebFinger(`acct:${ref.replace(/^@/, "")}`) : null;
    const actor = await resolveActor(ctx, ref);
    const key = await actor.getPublicKey(ctx);
    const methods = [];
    for await (const m of actor.getAssertionMethods(ctx)) {
      methods.push({
        id: m.id?.href ?? null,
        controller: m.controllerId?.href ?? null,
        algorithm: m.publicKey?.algorithm?.name ?? null,
      });
    }
    return {
      webfinger: wf,
      actor: await actor.toJsonLd({ format: "compact" }),
      type: actor.constructor.name,
      id: actor.id.href,
      preferred_username: actor.preferredUsername?.toString() ?? null,
      name: actor.name?.toString() ?? null,
      inbox: actor.inboxId?.href ?? null,
      shared_inbox: actor.endpoints?.sharedInbox?.href ?? null,
      outbox: actor.outboxId?.href ?? null,
      followers: actor.followersId?.href ?? null,
      following: actor.followingId?.href ?? null,
      public_key: key == null ? null : {
        id: key.id?.href ?? null,
        owner: key.ownerId?.href ?? null,
        algorithm: key.publicKey?.algorithm?.name ?? null,
        modulus_bits: key.publicKey?.algorithm?.modulusLength ?? null,
      },
      assertion_methods: methods,
    };
  }
  if (method === "POST" && path === "/control/follow") {
    const target = await resolveActor(ctx, body.actor);
    const follow = new Follow({
      id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
      actor: me,
      object: target.id,
    });
    await ctx.sendActivity({ identifier: "peer" }, target, follow, { immediate: true });
    sentFollows.set(target.id.href, follow);
    return { id: follow.id.href, target: target.id.href };
  }
  if (method === "POST" && path === "/control/unfollow") {
    const target = await resolveActor(ctx, body.actor);
    const follow = sentFollows.get(target.id.href);
    if (!follow) throw new Error("not following");
    const undo = new Undo({
      id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
      actor: me,
      object: follow,
    });
    await ctx.sendActivity({ identifier: "peer" }, target, undo, { immediate: true });
    sentFollows.delete(target.id.href);
    return { id: undo.id.href };
  }
  if (method === "POST" && path === "/control/note") {
    const target = await resolveActor(ctx, body.to);
    const noteId = new URL(`${origin}/notes/${crypto.randomUUID()}`);
    const note = new Note({
      id: noteId,
      attribution: me,
      to: target.id,
      content: body.content ?? "",
      tags: [new Mention({ href: target.id, name: `@${target.preferredUsername}` })],
      replyTarget: body.in_reply_to ? new URL(body.in_reply_to) : null,
      published: Temporal.Now.instant(),
    });
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: me,
      to: target.id,
      object: note,
    });
    await ctx.sendActivity({ identifier: "peer" }, target, create, {
      immediate: true,
      preferSharedInbox: body.shared === true,
    });
    notes.set(noteId.href, note);
    return { id: create.id.href, note: noteId.href };
  }
  if (method === "POST" && path === "/control/edit") {
    const target = await resolveActor(ctx, body.to);
    const old = notes.get(body.note);
    if (!old) throw Object.assign(new Error("unknown note"), { status: 404 });
    const note = old.clone({ content: body.content ?? "", updated: Temporal.Now.instant() });
    const update = new Update({
      id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
      actor: me,
      to: target.id,
      object: note,
    });
    await ctx.sendActivity({ identifier: "peer" }, target, update, { immediate: true });
    notes.set(body.note, note);
    return { id: update.id.href };
  }
  if (method === "POST" && path === "/control/delete") {
    const target = await resolveActor(ctx, body.to);
    if (!notes.has(body.note)) throw Object.assign(new Error("unknown note"), { status: 404 });
    const del = new Delete({
      id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
      actor: me,
      to: target.id,
      object: new Tombstone({ id: new URL(body.note) }),
    });
    await ctx.sendActivity({ identifier: "peer" }, target, del, { immediate: true });
    notes.delete(body.note);
    return { id: del.id.href };
  }
  if (method === "POST" && path === "/control/react") {
    const target = await resolveActor(ctx, body.to);
    const id = new URL(`${origin}/activities/${crypto.randomUUID()}`);
    const act = body.emoji
      ? new EmojiReact({ id, actor: me, object: new URL(body.object), content: body.emoji, to: target.id })
      : new Like({ id, actor: me, object: new URL(body.object), to: target.id });
    await ctx.sendActivity({ identifier: "peer" }, target, act, { immediate: true });
    return { id: id.href };
  }
  if (method === "POST" && path === "/control/post") return await signedPost(body);
  if (method === "POST" && path === "/control/nodeinfo") {
    // fedify's getNodeInfo refuses private addresses whatever the options, so
    // the two GETs are done here and the document goes to its strict parser.
    const wk = await (await globalThis.fetch(new URL("/.well-known/nodeinfo", String(body.url)), {
      headers: { Accept: "application/json" },
    })).json();
    const links = Array.isArray(wk?.links) ? wk.links : [];
    const link = links.find((l) => /nodeinfo\.diaspora\.software\/ns\/schema\/2\.1$/.test(l.rel)) ??
      links.find((l) => /nodeinfo\.diaspora\.software\/ns\/schema\/2\.0$/.test(l.rel));
    if (link?.href == null) throw new Error(`no NodeInfo 2.x link in ${JSON.stringify(wk)}`);
    const doc = await (await globalThis.fetch(link.href, { headers: { Accept: "application/json" } })).json();
    const info = parseNodeInfo(doc);
    if (info == null) throw new Error(`fedify's strict parser refuses ${JSON.stringify(doc)}`);
    return {
      schema: link.rel,
      software: { name: info.software.name, version: doc.software?.version ?? null },
      protocols: info.protocols,
      open_registrations: info.openRegistrations,
      users: info.usage?.users?.total ?? null,
    };
  }
  if (method === "POST" && path === "/control/get") {
    const loader = await ctx.getDocumentLoader({ identifier: "peer" });
    const doc = await loader(String(body.url));
    return { document: doc.document };
  }
  if (method === "GET" && path === "/control/inbox") return null; // handled by the caller
  throw Object.assign(new Error(`no such control route ${method} ${path}`), { status: 404 });
}

// A hand-made delivery for the negative tests: fedify signs, then the request
// is spoiled on purpose; the receiver's answer comes back unchanged.
async function signedPost({ inbox, activity, spec = "cavage", tamper = "none" }) {
  if (typeof inbox !== "string" || typeof activity !== "object") {
    throw Object.assign(new Error("inbox and activity required"), { status: 400 });
  }
  const body = JSON.stringify(activity);
  const keyId = new URL(`${origin}/users/peer#main-key`);
  const other = tamper === "other-key" ? await generateCryptoKeyPair("RSASSA-PKCS1-v1_5") : null;
  const when = tamper === "old"
    ? Temporal.Now.instant().subtract({ hours: 3 })
    : Temporal.Now.instant();
  let req = new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
    body,
  });
  if (tamper !== "unsigned") {
    req = await signRequest(req, (other ?? keyPairs[0]).privateKey, keyId, {
      spec: spec === "rfc9421" ? "rfc9421" : "draft-cavage-http-signatures-12",
      currentTime: when,
    });
  }
  const payload = tamper === "body"
    ? body.replace(/"type":"(\w+)"/, "\"type\":\"$1\",\"tampered\":true")
    : body;
  const res = await realFetch(req.url, { method: "POST", headers: req.headers, body: payload });
  const text = await res.text();
  log(`post(${spec}, ${tamper}) ${inbox} -> ${res.status}`);
  return { status: res.status, body: text.slice(0, 500) };
}

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > LIMIT_BODY) throw Object.assign(new Error("body too large"), { status: 413 });
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req, res) {
  const url = new URL(req.url, origin);
  const body = await readBody(req);
  if (url.pathname.startsWith("/control/")) {
    if (req.method === "GET" && url.pathname === "/control/inbox") {
      const since = Number.parseInt(url.searchParams.get("since") ?? "0", 10) || 0;
      return send(res, 200, { items: received.filter((e) => e.seq > since) });
    }
    let parsed = {};
    try {
      parsed = body.length ? JSON.parse(body.toString("utf8")) : {};
    } catch {
      return send(res, 400, { error: "bad JSON" });
    }
    try {
      const out = await control(req.method, url.pathname, parsed);
      log(`control ${req.method} ${url.pathname} ok`);
      return send(res, 200, out);
    } catch (err) {
      log(`control ${req.method} ${url.pathname} failed: ${err?.stack ?? err}`);
      return send(res, err.status ?? 500, { error: String(err) });
    }
  }
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const request = new Request(url, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  const isInbox = req.method === "POST" && /\/inbox$/.test(url.pathname);
  const response = await federation.fetch(request, { contextData: undefined });
  const out = Buffer.from(await response.arrayBuffer());
  if (isInbox) {
    const sig = headers.get("signature") ?? "";
    const scheme = headers.has("signature-input") ? "rfc9421" : sig ? "cavage" : "none";
    const keyId =
      (headers.get("signature-input") ?? "").match(/keyid="([^"]+)"/)?.[1] ??
      sig.match(/keyId="([^"]+)"/)?.[1] ?? null;
    let act = null;
    try {
      act = JSON.parse(body.toString("utf8"));
    } catch { /* recorded as null */ }
    const id = typeof act?.id === "string" ? act.id : null;
    const done = id ? pending.get(id) : null;
    if (id) pending.delete(id);
    // fedify answers 202 to a POST whose signature it verified (and to a
    // duplicate of one); a 202 without listener entry is such a duplicate.
    const e = record(Object.assign(done ?? {
      type: act?.type ?? null,
      id,
      actor: typeof act?.actor === "string" ? act.actor : act?.actor?.id ?? null,
      activity: act,
    }, {
      status: response.status,
      verified: response.status === 202 && scheme !== "none",
      scheme,
      key_id: keyId,
      path: url.pathname,
      response: response.status === 202 ? null : out.toString("utf8").slice(0, 500),
    }));
    log(`POST ${url.pathname} ${e.type} -> ${response.status} (${scheme} ${keyId})`);
  } else {
    log(`${req.method} ${url.pathname}${url.search} -> ${response.status}`);
  }
  const h = {};
  response.headers.forEach((v, k) => {
    h[k] = v;
  });
  res.writeHead(response.status, h);
  res.end(out);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log(`handler error: ${err?.stack ?? err}`);
    if (!res.headersSent) send(res, 500, { error: String(err) });
    else res.end();
  });
});
server.listen(port, "127.0.0.1", () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  federation = buildFederation();
  console.log(`fedify-peer ready ${origin}`);
});
process.on("SIGTERM", () => process.exit(0));
