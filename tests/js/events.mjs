#!/usr/bin/env node
// tests/js/events.mjs: drive a running Solstice's event socket with the real
// revolt.js 7.2.0 client (REVOLT.md §9 and §17).
//
//   node tests/js/events.mjs API_BASE_URL      (e.g. http://127.0.0.1:1234/api)
//
// Accounts are set up with plain fetch; everything on the socket is
// revolt.js's own EventClient (the global WebSocket is the pinned `ws`):
// connect with an existing session (useExistingSession + connect, the 7.2.0
// equivalent of a logged-in client), Authenticated -> Ready (client.user is
// the own user, online), live events of REST changes made by someone else
// (serverCreate, serverUpdate, serverMemberJoin), a message from another user
// (messageCreate) when POST /channels/{id}/messages exists, presence of a
// friend, and a second client logged in as a bot when POST /bots/create
// exists. Steps that depend on routes another module provides print SKIP
// when the route answers 404.
//
// Prints one line per step; exits 0 when every step passed, 1 at the first
// failure, 2 on bad usage. STEP_TIMEOUT_MS (default 10000) bounds every step.

import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { Client } from "revolt.js";

const STEP_MS = Number(process.env.STEP_TIMEOUT_MS) > 0 ? Number(process.env.STEP_TIMEOUT_MS) : 10000;
const base = process.argv[2];
if (!base || !/^https?:\/\/[^/]+/.test(base) || base.endsWith("/")) {
	console.error("usage: node tests/js/events.mjs API_BASE_URL");
	process.exit(2);
}
globalThis.WebSocket = WebSocket;

let step = 0;
const clients = [];

function finish(code) {
	for (const c of clients) {
		try {
			c.options.autoReconnect = false;
			c.events.disconnect();
		} catch {
			// already gone
		}
	}
	process.exit(code);
}

async function run(name, fn) {
	step++;
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${STEP_MS} ms`)), STEP_MS);
	});
	try {
		const r = await Promise.race([fn(), limit]);
		console.log(r === "SKIP" ? `SKIP ${step} ${name}` : `ok ${step} ${name}`);
	} catch (e) {
		console.log(`FAIL ${step} ${name}: ${e && e.stack ? e.stack : e}`);
		finish(1);
	} finally {
		clearTimeout(timer);
	}
}

function check(cond, what) {
	if (!cond) throw new Error(`expected ${what}`);
}

async function rest(method, path, token, body) {
	const headers = {};
	if (token) headers["X-Session-Token"] = token;
	const res = await fetch(base + path, {
		method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	let json = null;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		json = null;
	}
	return { status: res.status, json };
}

async function account(name) {
	const email = `${name}-${randomBytes(4).toString("hex")}@example.org`;
	const password = "correct horse battery staple";
	let r = await rest("POST", "/auth/account/create", null, { email, password });
	check(r.status === 204, `account/create 204, got ${r.status}`);
	r = await rest("POST", "/auth/session/login", null, { email, password });
	check(r.status === 200 && r.json.result === "Success", `login, got ${r.status}`);
	const session = r.json;
	r = await rest("POST", "/onboard/complete", session.token, {
		username: `${name}${randomBytes(2).toString("hex")}`,
	});
	check(r.status === 200, `onboard 200, got ${r.status}`);
	return session;
}

// resolves with the arguments of the first `event` that passes `pred`
function once(client, event, pred = () => true) {
	return new Promise((resolve) => {
		const fn = (...args) => {
			if (pred(...args)) {
				client.off(event, fn);
				resolve(args);
			}
		};
		client.on(event, fn);
	});
}

async function connectSession(session) {
	const client = new Client({ baseURL: base, autoReconnect: false });
	clients.push(client);
	client.on("error", (e) => console.log(`# client error: ${e && e.message ? e.message : e}`));
	client.configuration = await client.api.get("/");
	await client.useExistingSession(session);
	const ready = once(client, "ready");
	client.connect();
	await ready;
	return client;
}

let alice, bob, ca, cb, server, channel;

await run("accounts", async () => {
	alice = await account("alice");
	bob = await account("bob");
	// friends, so each sees the other's presence
	let r = await rest("PUT", `/users/${bob.user_id}/friend`, alice.token, {});
	check(r.status === 200, `friend request 200, got ${r.status}`);
	r = await rest("PUT", `/users/${alice.user_id}/friend`, bob.token, {});
	check(r.status === 200, `friend accept 200, got ${r.status}`);
});

await run("alice connects: Authenticated then Ready", async () => {
	ca = await connectSession(alice);
	check(ca.user && ca.user.id === alice.user_id, "client.user to be alice");
	check(ca.user.online === true, "alice online in her own Ready");
	check(ca.users.get(bob.user_id)?.relationship === "Friend", "bob cached as a Friend");
});

await run("bob connects; alice sees him come online", async () => {
	const online = once(ca, "userUpdate", (u) => u.id === bob.user_id && u.online === true);
	cb = await connectSession(bob);
	await online;
});

await run("a server created over REST arrives as serverCreate", async () => {
	const created = once(ca, "serverCreate");
	const r = await rest("POST", "/servers/create", alice.token, { name: "events" });
	check(r.status === 200, `servers/create 200, got ${r.status}`);
	server = r.json.server._id;
	channel = r.json.channels[0]._id;
	const [s] = await created;
	check(s.id === server, "the created server");
	check(ca.channels.get(channel) !== undefined, "its channel cached");
});

await run("serverUpdate reaches the owner", async () => {
	const updated = once(ca, "serverUpdate", (s) => s.id === server && s.name === "renamed");
	const r = await rest("PATCH", `/servers/${server}`, alice.token, { name: "renamed" });
	check(r.status === 200, `PATCH server 200, got ${r.status}`);
	await updated;
});

await run("bob joins by invite: serverCreate for bob, serverMemberJoin for alice", async () => {
	const r = await rest("POST", `/channels/${channel}/invites`, alice.token, {});
	check(r.status === 200, `invite 200, got ${r.status}`);
	const bobSees = once(cb, "serverCreate", (s) => s.id === server);
	const aliceSees = once(ca, "serverMemberJoin", (m) => m.id.user === bob.user_id);
	const j = await rest("POST", `/invites/${r.json._id}`, bob.token, {});
	check(j.status === 200, `join 200, got ${j.status}`);
	await Promise.all([bobSees, aliceSees]);
});

await run("a message from alice reaches bob as messageCreate", async () => {
	// bob's socket subscribes to the server's channels when ServerCreate is
	// written to it; the first attempts may race that, so retry a few times
	for (let i = 0; i < 10; i++) {
		const got = once(cb, "messageCreate", (m) => m.channelId === channel);
		const r = await rest("POST", `/channels/${channel}/messages`, alice.token, {
			content: `hello ${i}`,
		});
		if (r.status === 404 && (!r.json || r.json.type !== "UnknownChannel")) return "SKIP";
		check(r.status === 200, `send message 200, got ${r.status}`);
		const m = await Promise.race([got, new Promise((res) => setTimeout(() => res(null), 500))]);
		if (m) {
			check(m[0].content === `hello ${i}`, "the message content");
			return;
		}
	}
	throw new Error("no messageCreate");
});

await run("typing from bob reaches alice", async () => {
	const typing = once(ca, "channelStartTyping", (c, u) => c.id === channel && u?.id === bob.user_id);
	cb.channels.get(channel).startTyping();
	await typing;
});

await run("alice's client disconnecting takes her offline for bob", async () => {
	const offline = once(cb, "userUpdate", (u) => u.id === alice.user_id && u.online === false);
	ca.options.autoReconnect = false;
	ca.events.disconnect();
	await offline;
});

await run("a bot logs in with its token and receives Ready", async () => {
	const r = await rest("POST", "/bots/create", bob.token, { name: `bot${randomBytes(2).toString("hex")}` });
	if (r.status === 404) return "SKIP";
	check(r.status === 200 && r.json.token, `bots/create 200, got ${r.status}`);
	const bot = new Client({ baseURL: base, autoReconnect: false });
	clients.push(bot);
	bot.on("error", (e) => console.log(`# bot error: ${e && e.message ? e.message : e}`));
	const ready = once(bot, "ready");
	await bot.loginBot(r.json.token);
	await ready;
	check(bot.user && bot.user.id === r.json._id, "bot user to be the bot");
});

finish(0);
