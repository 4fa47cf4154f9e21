#!/usr/bin/env node
// tests/js/auth_flow.mjs: drive a running Solstice with the real revolt.js
// 7.2.0 client through the authentication and onboarding flow of REVOLT.md §5.
//
//   node tests/js/auth_flow.mjs API_BASE_URL      (e.g. http://127.0.0.1:1234/api)
//
// Every request is made by revolt.js's own HTTP client (the nested
// revolt-api 0.8.5-1 `API` class, as `client.api` or through revolt.js
// helpers such as client.account / client.sessions), never by a hand-written
// fetch, so the server sees exactly what revolt.js sends: `path?query` URLs
// (an empty query leaves a bare "?"), JSON bodies with no Content-Type (undici
// sends text/plain;charset=UTF-8), "{}" on every parameterless POST/DELETE,
// and the X-Session-Token header.
//
// How revolt-api 0.8.5-1 reports results (it never looks at the status):
//   - any response with a JSON body resolves with that body, errors included
//     ({"type":"InvalidCredentials"} resolves; nothing is thrown);
//   - an empty body (204) rejects with a SyntaxError from res.json(), also
//     against the official server. So 204 routes (account/create, logout,
//     DELETE session) "fail" inside revolt.js 7.2.0.
// To assert on statuses anyway, globalThis.fetch is wrapped by an observer
// that only records the request revolt-api built and the status it got; it
// changes nothing on the wire except adding an abort timeout.
//
// Prints one line per step; exits 0 when every step passed, 1 at the first
// failing step (naming it and the last HTTP exchange), 2 on bad usage.
// Environment: STEP_TIMEOUT_MS (default 10000) bounds every step.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

const STEP_MS = Number(process.env.STEP_TIMEOUT_MS) > 0 ? Number(process.env.STEP_TIMEOUT_MS) : 10000;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const URL_SAFE_TOKEN = /^[A-Za-z0-9_-]{64}$/;

const base = process.argv[2];
if (!base || !/^https?:\/\/[^/]+/.test(base) || base.endsWith("/")) {
	console.error("usage: node tests/js/auth_flow.mjs API_BASE_URL   (e.g. http://127.0.0.1:1234/api, no trailing /)");
	process.exit(2);
}

// ---- environment: the pinned client must be what is installed ----

const INSTALL_HINT = "run tools/install-deps (it does `npm ci --prefix tests/js`)";

if (Number(process.versions.node.split(".")[0]) < 18) {
	console.log(`FAIL 0 setup: node ${process.version} is too old (revolt.js needs the global fetch of node >= 18); ${INSTALL_HINT}`);
	process.exit(1);
}

function installedVersion(name) {
	try {
		const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
		return JSON.parse(readFileSync(url, "utf8")).version;
	} catch {
		return null;
	}
}

const versions = {
	"revolt.js": installedVersion("revolt.js"),
	"revolt-api": installedVersion("revolt-api") ?? installedVersion("revolt.js/node_modules/revolt-api"),
};
if (versions["revolt.js"] !== "7.2.0") {
	console.log(`FAIL 0 setup: revolt.js 7.2.0 is not installed in tests/js/node_modules (found ${versions["revolt.js"]}); ${INSTALL_HINT}`);
	process.exit(1);
}

let Client;
try {
	({ Client } = await import("revolt.js"));
} catch (e) {
	console.log(`FAIL 0 setup: cannot import revolt.js (${e?.message ?? e}); ${INSTALL_HINT}`);
	process.exit(1);
}
// revolt.js opens its event socket with the global WebSocket, which Node 20
// lacks; a Node app must provide it. This flow never connects (see the
// client.login step), but install it the way an app would.
if (typeof globalThis.WebSocket === "undefined") {
	try {
		globalThis.WebSocket = (await import("ws")).WebSocket;
	} catch (e) {
		console.log(`FAIL 0 setup: cannot import ws (${e?.message ?? e}); ${INSTALL_HINT}`);
		process.exit(1);
	}
}

// ---- fetch observer ----

const realFetch = globalThis.fetch;
let last = null; // the most recent exchange: {method,url,headers,body,status,contentType,text}

globalThis.fetch = async (input, init = {}) => {
	const rec = {
		method: (init.method ?? "GET").toUpperCase(),
		url: String(input),
		headers: { ...(init.headers ?? {}) },
		body: init.body,
		status: undefined,
		contentType: undefined,
		text: undefined,
	};
	last = rec;
	const res = await realFetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(STEP_MS) });
	rec.status = res.status;
	rec.contentType = res.headers.get("content-type");
	// Keep a copy of the body for failure messages; revolt-api reads the original.
	res.clone()
		.text()
		.then((t) => (rec.text = t))
		.catch(() => {});
	return res;
};

function describe(h) {
	if (!h) return "no HTTP request was made";
	const body = typeof h.body === "string" ? ` body ${h.body.length > 200 ? h.body.slice(0, 200) + "…" : h.body}` : "";
	const text = h.text === undefined ? "" : ` → ${JSON.stringify(h.text.length > 300 ? h.text.slice(0, 300) + "…" : h.text)}`;
	return `${h.method} ${h.url}${body} → HTTP ${h.status ?? "(no response)"} ${h.contentType ?? ""}${text}`;
}

// ---- steps ----

class StepError extends Error {}
const fail = (msg) => {
	throw new StepError(msg);
};
const check = (cond, msg) => {
	if (!cond) fail(msg);
};
const show = (v) => JSON.stringify(v);

let stepNo = 0;
async function step(name, fn) {
	stepNo++;
	const t0 = Date.now();
	let timer;
	try {
		const detail = await Promise.race([
			fn(),
			new Promise((_, reject) => {
				timer = setTimeout(() => reject(new StepError(`timed out after ${STEP_MS} ms`)), STEP_MS);
			}),
		]);
		console.log(`ok   ${stepNo} ${name}${detail ? ` — ${detail}` : ""} (${Date.now() - t0} ms)`);
	} catch (e) {
		const why = e instanceof StepError ? e.message : `${e?.name ?? "error"}: ${e?.message ?? show(e)}`;
		console.log(`FAIL ${stepNo} ${name}: ${why}`);
		console.log(`     last exchange: ${describe(last)}`);
		process.exit(1);
	} finally {
		clearTimeout(timer);
	}
}

// Run one revolt.js call; returns {value, thrown, http} without throwing.
async function call(fn) {
	last = null;
	let value;
	let thrown;
	try {
		value = await fn();
	} catch (e) {
		thrown = e;
	}
	const http = last;
	check(http, "revolt.js made no HTTP request");
	check(http.status !== undefined, `no HTTP response (${thrown?.message ?? thrown}${thrown?.cause?.code ? ": " + thrown.cause.code : ""})`);
	// The request shape revolt-api produced (what the server must accept).
	check(!Object.keys(http.headers).some((k) => k.toLowerCase() === "content-type"), "revolt-api set a Content-Type (unexpected for 0.8.5-1)");
	if (http.method !== "GET" && http.method !== "HEAD")
		check(typeof http.body === "string", `${http.method} without a string body`);
	return { value, thrown, http };
}

function expectStatus(r, status) {
	if (r.http.status !== status) {
		const got = r.thrown ? `revolt.js rejected (${r.thrown?.message ?? r.thrown})` : `body ${show(r.value)}`;
		fail(`expected HTTP ${status}, got ${r.http.status}; ${got}`);
	}
}

// 200 + a JSON body that revolt.js could parse.
function expectJson(r, status = 200) {
	expectStatus(r, status);
	check(!r.thrown, `HTTP ${status} but revolt.js rejected: ${r.thrown?.message ?? r.thrown} (body must be JSON)`);
	return r.value;
}

// 204: revolt-api 0.8.5-1 rejects with a SyntaxError on the empty body
// (exactly as against the official server); a JSON null would also do.
function expectNoContent(r) {
	expectStatus(r, 204);
	if (r.thrown) check(r.thrown instanceof SyntaxError, `204 but revolt.js rejected with ${r.thrown?.message ?? r.thrown}`);
	else check(r.value === null || r.value === undefined, `204 resolved with ${show(r.value)}`);
	return r.thrown ? "204 (revolt-api 0.8.5-1 rejects the empty body: SyntaxError)" : "204";
}

// Error: revolt-api resolves with the JSON error body; nothing is thrown.
function expectError(r, status, type) {
	expectStatus(r, status);
	check(!r.thrown, `HTTP ${status} but the error body is not JSON (revolt.js rejected: ${r.thrown?.message ?? r.thrown})`);
	check(r.value && typeof r.value === "object", `error body is not an object: ${show(r.value)}`);
	check(r.value.type === type, `expected error type ${type}, got ${show(r.value)}`);
	return `${status} ${show(r.value)}`;
}

function authHeader(http) {
	const k = Object.keys(http.headers).find((h) => h.toLowerCase() === "x-session-token");
	return k ? [k, http.headers[k]] : null;
}

// ---- the flow ----

const suffix = randomBytes(6).toString("hex");
const email = `revoltjs-${suffix}@solstice.example`;
const password = `Sol-${randomBytes(12).toString("base64url")}`;
const username = `rjs_${suffix}`;
const friendlyName = "revolt.js auth_flow";

const watchdog = setTimeout(() => {
	console.log(`FAIL ${stepNo} overall watchdog expired`);
	process.exit(1);
}, STEP_MS * 15);
watchdog.unref();

console.log(`info revolt.js ${versions["revolt.js"]}, revolt-api ${versions["revolt-api"]}, node ${process.version}, base ${base}`);

const anon = new Client({ baseURL: base });
let session; // login result
let authed; // Client using that session

await step("GET / (root document)", async () => {
	const doc = expectJson(await call(() => anon.api.get("/")));
	check(doc && typeof doc === "object", `not an object: ${show(doc)}`);
	check(typeof doc.ws === "string" && /^wss?:\/\/[^?#]+$/.test(doc.ws), `ws must be a ws(s):// URL without a query (revolt.js appends ?version=1…): ${show(doc.ws)}`);
	check(typeof doc.vapid === "string", `vapid missing: ${show(doc.vapid)}`);
	check(typeof doc.revolt === "string", `revolt missing: ${show(doc.revolt)}`);
	check(doc.features && typeof doc.features.january === "object" && typeof doc.features.autumn === "object", `features.autumn/january missing (revolt.js reads them unguarded): ${show(doc.features)}`);
	return `ws ${doc.ws}`;
});

await step("POST /auth/account/create (client.account.create)", async () => {
	const r = await call(() => anon.account.create({ email, password }));
	check(r.http.body === JSON.stringify({ email, password }), `unexpected body ${r.http.body}`);
	return `${email}: ${expectNoContent(r)}`;
});

await step("POST /auth/session/login", async () => {
	const r = await call(() => anon.api.post("/auth/session/login", { email, password, friendly_name: friendlyName }));
	const v = expectJson(r);
	check(v.result === "Success", `result is not "Success" (revolt.js would throw "MFA not implemented!"): ${show(v)}`);
	check(typeof v._id === "string" && ULID.test(v._id), `_id is not a ULID: ${show(v._id)}`);
	check(typeof v.user_id === "string" && ULID.test(v.user_id), `user_id is not a ULID: ${show(v.user_id)}`);
	check(typeof v.token === "string" && URL_SAFE_TOKEN.test(v.token), `token must be 64 URL-safe chars (revolt.js puts it unescaped in the WS URL): ${show(v.token)}`);
	check(v.name === friendlyName, `name ${show(v.name)} != friendly_name ${show(friendlyName)}`);
	session = v;
	authed = new Client({ baseURL: base });
	authed.useExistingSession(session);
	return `session ${v._id}, user ${v.user_id}`;
});

await step("GET /auth/account/ (client.account.fetchEmail)", async () => {
	const r = await call(() => authed.api.get("/auth/account/"));
	const v = expectJson(r);
	const h = authHeader(r.http);
	check(h && h[0] === "X-Session-Token" && h[1] === session.token, `request did not carry X-Session-Token (${show(r.http.headers)})`);
	check(v.email === email, `email ${show(v.email)} != ${show(email)}`);
	check(v._id === session.user_id, `account _id ${show(v._id)} != user_id ${show(session.user_id)}`);
	// revolt.js's own helper, same request
	const viaHelper = await authed.account.fetchEmail();
	check(viaHelper === email, `client.account.fetchEmail() gave ${show(viaHelper)}`);
	return v.email;
});

await step("GET /onboard/hello (before onboarding)", async () => {
	const v = expectJson(await call(() => authed.api.get("/onboard/hello")));
	check(v.onboarding === true, `expected {"onboarding":true}, got ${show(v)}`);
	return show(v);
});

await step("POST /onboard/complete", async () => {
	const r = await call(() => authed.api.post("/onboard/complete", { username }));
	const v = expectJson(r);
	check(v._id === session.user_id, `user _id ${show(v._id)} != user_id ${show(session.user_id)}`);
	check(v.username === username, `username ${show(v.username)} != ${show(username)}`);
	check(typeof v.discriminator === "string" && /^[0-9]{4}$/.test(v.discriminator), `discriminator is not 4 digits: ${show(v.discriminator)}`);
	return `${v.username}#${v.discriminator}`;
});

await step("GET /onboard/hello (after onboarding)", async () => {
	const v = expectJson(await call(() => authed.api.get("/onboard/hello")));
	check(v.onboarding === false, `expected {"onboarding":false}, got ${show(v)}`);
	return show(v);
});

await step("GET /auth/session/all (client.sessions.fetch)", async () => {
	const r = await call(() => authed.api.get("/auth/session/all"));
	const v = expectJson(r);
	check(Array.isArray(v), `not an array: ${show(v)}`);
	const mine = v.find((s) => s._id === session._id);
	check(mine, `session ${session._id} not listed: ${show(v)}`);
	check(mine.name === friendlyName, `session name ${show(mine.name)} != ${show(friendlyName)}`);
	const list = await authed.sessions.fetch();
	check(list.some((s) => s.id === session._id && s.name === friendlyName), "revolt.js Session objects do not include the session");
	return `${v.length} session(s)`;
});

await step("POST /auth/session/login with a wrong password", async () => {
	const r = await call(() => anon.api.post("/auth/session/login", { email, password: password + "x", friendly_name: friendlyName }));
	// revolt-api does not throw on 401: the error object is the resolved value.
	return expectError(r, 401, "InvalidCredentials");
});

// client.login() in 7.2.0 is GET / (only if no configuration yet) + POST
// /auth/session/login; it neither connects the WebSocket ("TODO: return await
// this.connect()") nor installs the auth header, so it does not need Ready.
const second = new Client({ baseURL: base });
let secondId;
await step("client.login({email,password}) on a fresh Client", async () => {
	await second.login({ email, password, friendly_name: "revolt.js client.login" });
	check(second.configuration && second.configuration.ws, `client.configuration not taken from GET /: ${show(second.configuration)}`);
	secondId = second.sessionId;
	check(typeof secondId === "string" && ULID.test(secondId), `client.sessionId is not a ULID: ${show(secondId)}`);
	check(secondId !== session._id, "client.login reused the first session id");
	const [name, token] = second.authenticationHeader;
	check(name === "X-Session-Token" && URL_SAFE_TOKEN.test(token ?? ""), `authenticationHeader ${show(second.authenticationHeader)}`);
	second.useExistingSession({ _id: secondId, token, user_id: session.user_id, name: "revolt.js client.login" });
	const mail = await second.account.fetchEmail();
	check(mail === email, `with the client.login session, /auth/account/ gave ${show(mail)}`);
	return `session ${secondId}`;
});

await step("GET /auth/session/all lists both sessions; Session.current", async () => {
	const list = await second.sessions.fetch();
	const ids = list.map((s) => s.id);
	check(ids.includes(session._id) && ids.includes(secondId), `sessions ${show(ids)} lack ${session._id} or ${secondId}`);
	const cur = list.filter((s) => s.current).map((s) => s.id);
	check(cur.length === 1 && cur[0] === secondId, `current session(s) ${show(cur)} != ${secondId}`);
	return `${list.length} sessions`;
});

await step("DELETE /auth/session/{id} (body {}) revokes the other session", async () => {
	const r = await call(() => authed.api.delete(`/auth/session/${secondId}`));
	check(r.http.method === "DELETE" && r.http.body === "{}", `revolt-api sent ${r.http.method} body ${show(r.http.body)}`);
	const res = expectNoContent(r);
	const after = await call(() => second.api.get("/auth/account/"));
	expectError(after, 401, "InvalidSession");
	return res;
});

await step("POST /auth/session/logout (body {})", async () => {
	const r = await call(() => authed.api.post("/auth/session/logout"));
	check(r.http.body === "{}", `revolt-api sent body ${show(r.http.body)}`);
	return expectNoContent(r);
});

await step("GET /auth/account/ with the logged-out token", async () => {
	return expectError(await call(() => authed.api.get("/auth/account/")), 401, "InvalidSession");
});

console.log(`ok   all ${stepNo} steps passed`);
process.exit(0);
