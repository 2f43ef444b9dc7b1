// What a person does in the app, as Playwright steps (shared by the e2e scenarios).
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactsDir } from "./server.mjs";

export const PASSWORD = "Corr3ct-Horse!";
const WAIT = { timeout: 20_000 };

export async function shot(page, name) {
  await page.mouse.move(0, 0); // no stray hover styles
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

/** Fail on any uncaught page error; keep console errors for the report. */
export function watchErrors(page, label, errors) {
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
}

export async function signUp(page, base, username, { screenshot } = {}) {
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  if (screenshot) await shot(page, screenshot);
  await page.getByRole("button", { name: "Create account and sign in" }).click();
  await page.getByRole("heading", { name: "Polls", level: 1 }).waitFor(WAIT);
}

/** Try to sign in and expect the given error alert. */
export async function signInFails(page, base, username, password, message) {
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in to vote" }).click();
  await page.getByRole("alert").filter({ hasText: message }).waitFor(WAIT);
}

export async function createPoll(page, question, options, { screenshot } = {}) {
  await page.getByRole("link", { name: "New poll" }).click();
  await page.getByRole("heading", { name: "New poll" }).waitFor(WAIT);
  await page.getByLabel("Question").fill(question);
  for (let i = 0; i < options.length; i++) {
    if (i >= 2) await page.getByRole("button", { name: "Add option" }).click();
    await page.getByLabel(`Option ${i + 1}`, { exact: true }).fill(options[i]);
  }
  if (screenshot) await shot(page, screenshot);
  await page.getByRole("button", { name: "Create poll" }).click();
  await page.getByRole("heading", { name: question, level: 1 }).waitFor(WAIT);
  const id = decodeURIComponent(new URL(page.url()).hash.split("/").pop());
  assert.match(id, /^[0-9a-f-]{36}$/);
  return id;
}

export async function openPollFromList(page, question) {
  await page.getByRole("link", { name: new RegExp(question.replace(/[?]/g, "\\?")) }).click();
  await page.getByRole("heading", { name: question, level: 1 }).waitFor(WAIT);
  // Set a marker that a page reload would wipe: live updates must arrive without one.
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
