// End to end: real `votes serve` (API, local Cognito, SSE), real Chromium, three people.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { launchBrowser } from "./browser.mjs";
import {
  assertNotReloaded,
  createPoll,
  openPollFromList,
  shot,
  signInFails,
  signUp,
  vote,
  waitForTally,
  watchErrors,
} from "./flows.mjs";
import { artifactsDir, startServer } from "./server.mjs";

// Reduced motion: screenshots show settled bars, not a transition half-way.
const DESKTOP = { viewport: { width: 1280, height: 860 }, reducedMotion: "reduce" };
const PHONE = { ...DESKTOP, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const QUESTION = "Where should the team lunch be on Friday?";
const OPTIONS = ["Pizza place", "Taco truck", "Sushi bar"];

mkdirSync(artifactsDir, { recursive: true });

describe("voting in the browser against votes serve (live results by SSE)", { timeout: 240_000 }, () => {
  let server;
  let browser;
  const errors = [];

  before(async () => {
    server = await startServer({ admins: ["ada"], name: "server-sse" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("admin creates a poll, two voters see each other's votes live, admin closes it", async () => {
    const { base } = server;
    const adminCtx = await browser.newContext(DESKTOP);
    const aliceCtx = await browser.newContext(DESKTOP);
    const bobCtx = await browser.newContext(PHONE);
    const admin = await adminCtx.newPage();
    const alice = await aliceCtx.newPage();
    const bob = await bobCtx.newPage();
    watchErrors(admin, "admin", errors);
    watchErrors(alice, "alice", errors);
    watchErrors(bob, "bob", errors);

    // The admin signs up, finds no polls, creates one.
    await signUp(admin, base, "ada", { screenshot: "01-sign-up" });
    await admin.getByText("No polls yet").waitFor();
    await shot(admin, "02-empty-poll-list-admin");
    await admin.getByRole("link", { name: "New poll" }).waitFor();
    const pollId = await createPoll(admin, QUESTION, OPTIONS, { screenshot: "02b-new-poll-form" });
    await waitForTally(admin, { "Pizza place": 0, "Taco truck": 0, "Sushi bar": 0 });
    await admin.evaluate(() => {
      window.__noReload = true;
    });
    assert.ok(pollId);

    // Two voters sign up in their own browser contexts and open the poll from the list.
    await signUp(alice, base, "alice");
    await signUp(bob, base, "bob");
    assert.equal(await alice.getByRole("link", { name: "New poll" }).count(), 0, "alice is no admin");
    await shot(bob, "03-poll-list-phone");
    await openPollFromList(alice, QUESTION);
    await openPollFromList(bob, QUESTION);
    await alice.locator('[data-connection="live"]').waitFor();
    await bob.locator('[data-connection="live"]').waitFor();

    // Alice votes: everyone's chart moves without a reload.
    await vote(alice, "Pizza place");
    for (const page of [alice, bob, admin]) await waitForTally(page, { "Pizza place": 1, "Taco truck": 0, "Sushi bar": 0 });

    // Bob votes for another option: Alice sees it arrive.
    await vote(bob, "Taco truck");
    for (const page of [alice, bob, admin]) await waitForTally(page, { "Pizza place": 1, "Taco truck": 1, "Sushi bar": 0 });
    await shot(alice, "04-alice-voted-live");
    await shot(bob, "05-bob-voted-phone");

    // Alice changes her mind, then Bob retracts and votes again: still live everywhere.
    await vote(alice, "Sushi bar", "Change my vote");
    await waitForTally(bob, { "Pizza place": 0, "Taco truck": 1, "Sushi bar": 1 });
    await bob.getByRole("button", { name: "Retract my vote" }).click();
    await waitForTally(alice, { "Pizza place": 0, "Taco truck": 0, "Sushi bar": 1 });
    await vote(bob, "Sushi bar");
    for (const page of [alice, bob, admin]) await waitForTally(page, { "Pizza place": 0, "Taco truck": 0, "Sushi bar": 2 });
    await shot(admin, "06-admin-live");

    // The admin closes the poll: it shows as final, for the voters too (pushed, no reload).
    await admin.getByRole("button", { name: "Close poll…" }).click();
    await admin.getByRole("button", { name: "Yes, close the poll" }).click();
    for (const page of [admin, alice, bob]) {
      await page.getByText("This poll is closed.").waitFor({ timeout: 20_000 });
      await page.getByRole("heading", { name: "Final results" }).waitFor();
    }
    assert.equal(await alice.getByRole("button", { name: /vote/i }).count(), 0, "no vote buttons once closed");
    assert.ok(await alice.getByRole("radio", { name: "Sushi bar" }).isDisabled());
    await shot(admin, "07-admin-closed-final");
    await shot(bob, "08-bob-closed-phone");
    for (const page of [admin, alice, bob]) await assertNotReloaded(page);

    // Back on the list, the poll is under "Closed polls".
    await alice.getByRole("link", { name: "All polls" }).click();
    const closed = alice.getByRole("region", { name: /Closed polls/ });
    await closed.getByRole("link", { name: new RegExp("Where should the team lunch") }).waitFor();
    await shot(alice, "09-poll-list-closed");
    assert.deepEqual(errors, []);
  });
});

describe("live results by polling GET /results (the AWS mode)", { timeout: 180_000 }, () => {
  let server;
  let browser;
  const errors = [];

  before(async () => {
    server = await startServer({ admins: ["root"], name: "server-poll", env: { VOTES_LIVE_RESULTS: "poll" } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("a vote reaches another voter's chart without a reload", async () => {
    const { base } = server;
    const [rootPage, carolPage] = await Promise.all(
      [DESKTOP, DESKTOP].map(async (opts) => (await browser.newContext(opts)).newPage()),
    );
    watchErrors(rootPage, "root", errors);
    watchErrors(carolPage, "carol", errors);
    await signUp(rootPage, base, "root");
    await createPoll(rootPage, "Tabs or spaces?", ["Tabs", "Spaces"]);
    await rootPage.evaluate(() => {
      window.__noReload = true;
    });
    await rootPage.locator('[data-connection="polling"]').waitFor();
    // Cognito's errors come through as plain words.
    await signInFails(carolPage, base, "carol", "Whatever-1", "Wrong username or password.");
    await shot(carolPage, "11-sign-in-error");
    await signUp(carolPage, base, "carol");
    await openPollFromList(carolPage, "Tabs or spaces?");
    await vote(carolPage, "Spaces");
    await waitForTally(rootPage, { Tabs: 0, Spaces: 1 });
    await assertNotReloaded(rootPage);
    await shot(rootPage, "10-polling-mode");
    assert.deepEqual(errors, []);
  });
});
