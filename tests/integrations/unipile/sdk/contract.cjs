// Unipile's official Node SDK, its response validation set to throw, against our simulator.
//
// Every call SkyLight's client makes (accounts, checkpoints, users, chats, messages, webhooks)
// goes through the SDK method Unipile ships for it, or through its request sender with no
// schema where the SDK has no method (resend checkpoint, restart). Refusals the simulator must
// share with Unipile are checked as UnsuccessfulRequestError bodies.
//
// Run by tests/integrations/unipile/test_sdk_contract.py:
//   SIM_URL=http://127.0.0.1:PORT SIM_KEY=... node contract.cjs
// Prints one JSON object {checks: [{name, ok, error?}]}; exits 1 when a check failed.
"use strict";

const {
  UnipileClient,
  UnsuccessfulRequestError,
  InvalidResponseTypeError,
  untypedYetValidator,
} = require("unipile-node-sdk");
const { Type } = require("@sinclair/typebox");
const { TypeCompiler } = require("@sinclair/typebox/compiler");

const URL = process.env.SIM_URL;
const KEY = process.env.SIM_KEY;
const STRICT = { validateRequestPayload: true, validateRequestPayloadLevel: "error" };
const sdk = new UnipileClient(URL, KEY, STRICT);

// Unipile's error body (reference section 6); the SDK has no schema of its own for it.
const ErrorBody = TypeCompiler.Compile(
  Type.Object({
    status: Type.Number(),
    type: Type.String(),
    title: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  }),
);

const checks = [];
const state = {};

function describe(error) {
  if (error instanceof InvalidResponseTypeError) {
    const first = error.body[0] || {};
    return `SDK validation failed at ${first.path}: ${first.message} (value ${JSON.stringify(
      first.value,
    )})`.slice(0, 600);
  }
  if (error instanceof UnsuccessfulRequestError) {
    return `unexpected error answer ${JSON.stringify(error.body)}`.slice(0, 600);
  }
  return String(error && error.stack ? error.stack : error).slice(0, 600);
}

async function check(name, fn) {
  try {
    await fn();
    checks.push({ name, ok: true });
  } catch (error) {
    checks.push({ name, ok: false, error: describe(error) });
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function refused(promise, status, type) {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof UnsuccessfulRequestError, `expected an error answer, got ${error}`);
    assert(ErrorBody.Check(error.body), `not Unipile's error body: ${JSON.stringify(error.body)}`);
    assert(
      error.body.status === status && error.body.type === type,
      `expected ${status} ${type}, got ${error.body.status} ${error.body.type}`,
    );
    return error.body;
  }
  throw new Error(`expected ${status} ${type}, but the call succeeded`);
}

async function control(path, body) {
  const response = await fetch(`${URL}/_sandbox${path}`, {
    method: "POST",
    headers: { "X-API-KEY": KEY, "content-type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  const text = await response.text();
  assert(response.ok, `control ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

// The SDK's own sender, for calls it has no method for: any 2xx JSON is accepted.
function untyped(method, path, body) {
  return sdk.request.send({
    path,
    method,
    body,
    headers: { "Content-Type": "application/json" },
    validator: untypedYetValidator,
  });
}

async function main() {
  // Accounts: QR logins, pending accounts, lists.
  await check("accounts: connect WhatsApp (QR checkpoint)", async () => {
    state.wa = (await sdk.account.connectWhatsapp()).account_id;
  });
  await check("accounts: a pending WhatsApp account reads as an Account", async () => {
    const account = await sdk.account.getOne(state.wa);
    assert(account.sources[0].status === "CONNECTING", "pending accounts are CONNECTING");
  });
  await check("accounts: connect Telegram, its pending account reads", async () => {
    state.tg = (await sdk.account.connectTelegram()).account_id;
    await sdk.account.getOne(state.tg);
  });
  await check("accounts: scanned accounts read as OK", async () => {
    await control(`/accounts/${state.wa}/scan`, { username: "+966501234567" });
    await control(`/accounts/${state.tg}/scan`, { username: "skylight_tg" });
    assert((await sdk.account.getOne(state.tg)).sources[0].status === "OK", "TG not OK");
  });
  await check("accounts: list pages with a cursor", async () => {
    const first = await sdk.account.getAll({ limit: 1 });
    assert(first.items.length === 1 && first.cursor, "expected a next page");
    await sdk.account.getAll({ limit: 1, cursor: first.cursor });
  });
  await check("accounts: reconnect WhatsApp keeps the id (new QR checkpoint)", async () => {
    const again = await sdk.account.reconnectWhatsapp(state.wa);
    assert(again.account_id === state.wa, "reconnect changed the account id");
    await control(`/accounts/${state.wa}/scan`, {});
  });

  // Instagram: credentials, checkpoints, resend, reconnect, restart.
  await check("instagram: connect without a checkpoint", async () => {
    const created = await sdk.account.connectInstagram({ username: "sdk.shop", password: "pw" });
    assert(created.object === "AccountCreated", `got ${created.object}`);
    state.ig = created.account_id;
  });
  await check("instagram: wrong password is 401 errors/invalid_credentials", async () => {
    const body = { username: "sdk.other", password: "wrong-password" };
    await refused(sdk.account.connectInstagram(body), 401, "errors/invalid_credentials");
  });
  await check("instagram: a 2FA checkpoint, a wrong code, resend, the right code", async () => {
    const input = { username: "2fa_sdk", password: "pw" };
    const checkpoint = await sdk.account.connectInstagram(input);
    assert(checkpoint.object === "Checkpoint", `got ${checkpoint.object}`);
    const solve = { account_id: checkpoint.account_id, provider: "INSTAGRAM" };
    await refused(
      sdk.account.solveCodeCheckpoint({ ...solve, code: "000000" }),
      401,
      "errors/invalid_checkpoint_solution",
    );
    await untyped("POST", ["accounts", "checkpoint", "resend"], solve);
    const done = await sdk.account.solveCodeCheckpoint({ ...solve, code: "123456" });
    assert(done.object === "AccountCreated", `got ${done.object}`);
  });
  await check("instagram: in-app validation and captcha checkpoints", async () => {
    const inApp = await sdk.account.connectInstagram({ username: "inapp_sdk", password: "pw" });
    assert(inApp.checkpoint.type === "IN_APP_VALIDATION", "expected IN_APP_VALIDATION");
    const captcha = await sdk.account.connectInstagram({ username: "arkose_sdk", password: "x" });
    assert(captcha.checkpoint.type === "CAPTCHA", "expected CAPTCHA");
  });
  await check("instagram: reconnect keeps the account id", async () => {
    const input = { account_id: state.ig, username: "sdk.shop", password: "pw" };
    const again = await sdk.account.reconnectInstagram(input);
    assert(again.object === "AccountReconnected" && again.account_id === state.ig, "reconnect");
  });
  await check("accounts: restart answers a 2xx object", async () => {
    await untyped("POST", ["accounts", state.ig, "restart"]);
  });

  // Users: a username (or phone) resolved to the internal id a new chat needs.
  await check("users: an Instagram profile (SDK schema, plus provider ids)", async () => {
    const profile = await sdk.users.getProfile({ identifier: "sara.k", account_id: state.ig });
    assert(typeof profile.pk === "number", "pk must be a number");
    assert(/^\d+$/.test(profile.provider_id), "provider_id must be numeric");
    assert(/^\d+$/.test(profile.provider_messaging_id), "provider_messaging_id must be numeric");
    state.saraMessaging = profile.provider_messaging_id;
  });
  await check("users: a Telegram profile by username and by phone", async () => {
    const byName = await sdk.users.getProfile({ identifier: "tg_friend", account_id: state.tg });
    assert(/^\d+$/.test(byName.provider_id), "provider_id must be numeric");
    state.tgFriend = byName.provider_id;
    const identifier = "+966551234567";
    const byPhone = await sdk.users.getProfile({ identifier, account_id: state.tg });
    assert(/^\d+$/.test(byPhone.provider_id), "provider_id must be numeric");
  });
  await check("users: a WhatsApp number", async () => {
    await sdk.users.getProfile({ identifier: "+966551234567", account_id: state.wa });
  });
  await check("users: nobody is 404 errors/resource_not_found", async () => {
    const input = { identifier: "unknown_someone", account_id: state.ig };
    await refused(sdk.users.getProfile(input), 404, "errors/resource_not_found");
  });

  // Chats and messages.
  await check("chats: a username is not an attendee id (400)", async () => {
    const input = { account_id: state.tg, attendees_ids: ["tg_friend"], text: "hi" };
    await refused(sdk.messaging.startNewChat(input), 400, "errors/invalid_parameters");
  });
  await check("chats: start a chat with internal ids (Telegram, Instagram, WhatsApp)", async () => {
    const tg = { account_id: state.tg, attendees_ids: [state.tgFriend], text: "hello" };
    state.tgChat = (await sdk.messaging.startNewChat(tg)).chat_id;
    const ig = { account_id: state.ig, attendees_ids: [state.saraMessaging], text: "hello" };
    await sdk.messaging.startNewChat(ig);
    const wa = { account_id: state.wa, attendees_ids: ["966551234567@s.whatsapp.net"], text: "hi" };
    state.waChat = (await sdk.messaging.startNewChat(wa)).chat_id;
  });
  await check("messages: send in a chat", async () => {
    const sent = await sdk.messaging.sendMessage({ chat_id: state.waChat, text: "again" });
    state.sent = sent.message_id;
  });
  await check("messages: send files, list them, download one", async () => {
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n");
    const input = { chat_id: state.waChat, text: "the menu", attachments: [["menu.pdf", pdf]] };
    const sent = await sdk.messaging.sendMessage(input);
    const message = await sdk.messaging.getMessage(sent.message_id);
    assert(message.attachments.length === 1, "the file is not on the message");
    const [attachment] = message.attachments;
    assert(attachment.url === `att://${attachment.id}`, `url ${attachment.url}`);
    const ids = { message_id: sent.message_id, attachment_id: attachment.id };
    const blob = await sdk.messaging.getMessageAttachment(ids);
    const bytes = Buffer.from(await blob.arrayBuffer());
    assert(bytes.equals(pdf), "downloaded bytes differ");
    const missing = { message_id: sent.message_id, attachment_id: "nope" };
    await refused(sdk.messaging.getMessageAttachment(missing), 404, "errors/resource_not_found");
  });
  await check("messages: inbound, delivered and read flags", async () => {
    await control("/inbound", { account_id: state.wa, from: "+966551234567", text: "reply" });
    const attachments = [
      { type: "img", mimetype: "image/jpeg" },
      { type: "file", mimetype: "application/pdf", file_name: "menu.pdf" },
    ];
    const photo = { account_id: state.wa, from: "+966551234567", text: null, attachments };
    await sdk.messaging.getMessage((await control("/inbound", photo)).message_id);
    await control(`/messages/${state.sent}/receipt`, { event: "delivered" });
    await control(`/messages/${state.sent}/receipt`, { event: "read" });
    const message = await sdk.messaging.getMessage(state.sent);
    assert(message.delivered === 1 && message.seen === 1, "flags not set");
  });
  await check("chats: list (with after), one chat, its attendees", async () => {
    const after = new Date(Date.now() - 3600 * 1000).toISOString();
    const chats = await sdk.messaging.getAllChats({ account_id: state.wa, limit: 10, after });
    assert(chats.items.length === 1, `expected 1 chat, got ${chats.items.length}`);
    const chat = await sdk.messaging.getChat(state.waChat);
    assert(chat.lastMessage !== undefined, "lastMessage is required");
    await sdk.messaging.getAllAttendeesFromChat(state.waChat);
  });
  await check("messages: a chat's messages and all messages, paged", async () => {
    const page = await sdk.messaging.getAllMessagesFromChat({ chat_id: state.waChat, limit: 2 });
    assert(page.cursor, "expected a next page");
    const input = { chat_id: state.waChat, limit: 2, cursor: page.cursor };
    await sdk.messaging.getAllMessagesFromChat(input);
    await sdk.messaging.getAllMessages({ account_id: state.wa, limit: 5 });
  });

  // Webhooks.
  const requestUrl = "http://127.0.0.1:9/webhooks/unipile";
  await check("webhooks: message_delivered is not an event (400)", async () => {
    const input = { request_url: requestUrl, source: "messaging", events: ["message_delivered"] };
    await refused(sdk.webhook.create(input), 400, "errors/invalid_parameters");
  });
  await check("webhooks: create each event on its own, list, delete", async () => {
    const headers = [{ key: "Unipile-Auth", value: "secret" }];
    const ids = [];
    for (const event of ["message_received", "message_read", "message_reaction"]) {
      const input = { request_url: requestUrl, source: "messaging", events: [event], headers };
      ids.push((await sdk.webhook.create({ ...input, name: `skylight-${event}` })).webhook_id);
    }
    const status = { request_url: requestUrl, source: "account_status", headers };
    ids.push((await sdk.webhook.create(status)).webhook_id); // no name given
    const listed = await sdk.webhook.getAll();
    assert(listed.items.length === ids.length, "webhooks missing from the list");
    for (const id of ids) await sdk.webhook.delete(id);
  });

  // Errors.
  await check("errors: a wrong key is 401 errors/missing_credentials", async () => {
    const stranger = new UnipileClient(URL, "not-the-key", STRICT);
    await refused(stranger.account.getAll(), 401, "errors/missing_credentials");
  });
  await check("errors: an unknown provider is 400", async () => {
    const input = { provider: "MYSPACE" };
    await refused(sdk.account.connect(input), 400, "errors/invalid_parameters");
  });
  await check("errors: an unknown account is 404", async () => {
    await refused(sdk.account.getOne("missing"), 404, "errors/resource_not_found");
  });
  await check("accounts: delete", async () => {
    const deleted = await sdk.account.delete(state.tg);
    assert(deleted.object === "AccountDeleted", `got ${deleted.object}`);
  });
}

main()
  .catch((error) => checks.push({ name: "contract script", ok: false, error: describe(error) }))
  .finally(() => {
    process.stdout.write(JSON.stringify({ checks }) + "\n");
    process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
  });
