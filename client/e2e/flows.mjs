// What a person does in the app, as Playwright steps (shared by the e2e scenarios).
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactsDir } from "./server.mjs";

export const PASSWORD = "Corr3ct-Horse!";
export const WAIT = { timeout: 20_000 };

// Reduced motion: screenshots show settled bars, not a transition half-way.
export const DESKTOP = { viewport: { width: 1440, height: 900 }, reducedMotion: "reduce" };
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, reducedMotion: "reduce" };
export const DARK = { ...DESKTOP, colorScheme: "dark" };

export const emailOf = (name) => `${name.toLowerCase().split(" ")[0]}@example.com`;

export async function shot(page, name) {
  await page.mouse.move(0, 0); // no stray hover styles
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

/** Collect uncaught page errors and console errors (a failed request logs one). */
export function watchErrors(page, label, errors) {
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${label} console: ${m.text()} ${m.location()?.url ?? ""}`);
  });
}

/** Create an account named `name` (e-mail <first name>@example.com) and land on the poll list. */
export async function signUp(page, base, name, { screenshot, email = emailOf(name) } = {}) {
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  if (screenshot) await shot(page, screenshot);
  await page.getByRole("button", { name: "Create account and sign in" }).click();
  await page.getByRole("heading", { name: "Polls", level: 1 }).waitFor(WAIT);
  assert.equal(await page.locator(".user-name").innerText().then((t) => t.split("\n")[0].trim()), name);
}

/** Try to sign in and expect the given error alert. */
export async function signInFails(page, base, email, password, message) {
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in to vote" }).click();
  await page.getByRole("alert").filter({ hasText: message }).waitFor(WAIT);
}

export async function createPoll(page, question, options, { screenshot, hideResults = false } = {}) {
  await page.getByRole("link", { name: "New poll" }).click();
  await page.getByRole("heading", { name: "New poll" }).waitFor(WAIT);
  await page.getByLabel("Question").fill(question);
  for (let i = 0; i < options.length; i++) {
    if (i >= 2) await page.getByRole("button", { name: "Add option" }).click();
    await page.getByLabel(`Option ${i + 1}`, { exact: true }).fill(options[i]);
  }
  if (hideResults) await page.getByLabel(/Hide the results/).check();
  if (screenshot) await shot(page, screenshot);
  await page.getByRole("button", { name: "Create poll" }).click();
  await page.getByRole("heading", { name: question, level: 1 }).waitFor(WAIT);
  const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  assert.match(id, /^[0-9a-f-]{36}$/);
  return id;
}

/** Create a poll through the API with the page's own session (e.g. one closing in seconds,
 *  which the form's minute-precision field cannot ask for). */
export async function createPollByApi(page, body) {
  return page.evaluate(async (b) => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("votes.tokens."));
    const { accessToken } = JSON.parse(localStorage.getItem(key));
    const r = await fetch("/polls", {
      method: "POST",
      headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify(b),
    });
    if (r.status !== 201) throw new Error(`create poll: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()).id;
  }, body);
}

export async function openPollFromList(page, question) {
  await page.getByRole("link", { name: new RegExp(question.replace(/[?]/g, "\\?")) }).click();
  await page.getByRole("heading", { name: question, level: 1 }).waitFor(WAIT);
  await markNoReload(page);
}

/** Set a marker that a page reload would wipe: live updates must arrive without one. */
export async function markNoReload(page) {
  await page.evaluate(() => {
    window.__noReload = true;
  });
}

export async function assertNotReloaded(page) {
  assert.equal(await page.evaluate(() => window.__noReload), true, "the page was reloaded");
}

export async function vote(page, option, button = "Vote") {
  await page.getByRole("radio", { name: option }).check();
  await page.getByRole("button", { name: button }).click();
  await page.getByRole("status").filter({ hasText: option }).first().waitFor(WAIT);
}

/** Wait until the chart shows exactly these counts. */
export async function waitForTally(page, counts) {
  const selector = Object.entries(counts)
    .map(([option, votes]) => `.chart-row[data-option="${option}"][data-votes="${votes}"]`)
    .join(", ");
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel).length === n,
    [selector, Object.keys(counts).length],
    WAIT,
  );
}

/**
 * Record the page's live-results traffic: every WebSocket it opens to `/event/realtime` (AWS
 * AppSync Events' protocol) with the `data` frames it receives (each a TallyUpdated), and any
 * request to the SSE stream (which the browser must not use).
 */
export function watchLive(page) {
  const live = { sockets: [], tallies: [], sse: 0 };
  page.on("websocket", (ws) => {
    if (!ws.url().endsWith("/event/realtime")) return;
    const socket = { url: ws.url(), closed: false };
    live.sockets.push(socket);
    ws.on("framereceived", ({ payload }) => {
      try {
        const message = JSON.parse(String(payload));
        if (message.type === "data") live.tallies.push({ socket: live.sockets.indexOf(socket), tally: JSON.parse(message.event) });
      } catch {
        // not JSON: not a protocol message
      }
    });
    ws.on("close", () => (socket.closed = true));
  });
  page.on("request", (r) => {
    if (r.url().includes("/results/stream")) live.sse += 1;
  });
  return live;
}

/** Wait until a tally with `counts` (a subset) arrived on the page's socket number `socket`
 *  (any socket when omitted). */
export async function waitForPushed(live, counts, socket) {
  const matches = ({ socket: s, tally }) =>
    (socket === undefined || s === socket) && Object.entries(counts).every(([option, n]) => tally.counts?.[option] === n);
  const until = Date.now() + WAIT.timeout;
  while (!live.tallies.some(matches)) {
    if (Date.now() > until) throw new Error(`no TallyUpdated ${JSON.stringify(counts)} pushed; got ${JSON.stringify(live.tallies.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
