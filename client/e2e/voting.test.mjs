// End to end: real `votes serve` (API, local Cognito, live results over AWS AppSync Events'
// WebSocket protocol at /event/realtime), real Chromium, three people.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { launchBrowser } from "./browser.mjs";
import {
  assertNotReloaded,
  createPoll,
  DESKTOP,
  markNoReload,
  openPollFromList,
  PHONE,
  shot,
  signInFails,
  signUp,
  vote,
  WAIT,
  waitForPushed,
  waitForTally,
  watchErrors,
  watchLive,
} from "./flows.mjs";
import { artifactsDir, startServer } from "./server.mjs";

const QUESTION = "Where should the team lunch be on Friday?";
const OPTIONS = ["Pizza place", "Taco truck", "Sushi bar", "Noodle bar", "Salad place", "Burger joint", "Curry house", "Bakery"];

mkdirSync(artifactsDir, { recursive: true });

/** The text of the page's main region that is on screen (not the screen-reader-only text). */
const mainText = (page) =>
  page.locator("main").evaluate((main) => {
    const hidden = [...main.querySelectorAll(".sr-only")];
    hidden.forEach((el) => (el.style.display = "none"));
    const text = main.innerText;
    hidden.forEach((el) => (el.style.display = ""));
    return text;
  });

describe("voting in the browser against votes serve (live results over the WebSocket)", { timeout: 300_000 }, () => {
  let server;
  let browser;
  const errors = [];

  before(async () => {
    server = await startServer({ admins: ["ada@example.com"], name: "server-sse" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("admin creates a poll, voters see each other's votes live, admin closes it", async () => {
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
    const bobLive = watchLive(bob);
    const adminLive = watchLive(admin);

    // Cognito's errors come through as plain words (a page of its own: its failed sign-in is
    // this step's point, not an error to watch for).
    const stranger = await (await browser.newContext(DESKTOP)).newPage();
    await signInFails(stranger, base, "carol@example.com", "Whatever-1", "Wrong e-mail address or password.");
    await stranger.context().close();

    // The admin signs up with an e-mail address and a name (shown, never a UUID), creates a poll.
    await signUp(admin, base, "Ada Lovelace");
    await admin.getByText("No polls yet").waitFor();
    const pollId = await createPoll(admin, QUESTION, OPTIONS);
    await waitForTally(admin, Object.fromEntries(OPTIONS.map((o) => [o, 0])));
    await markNoReload(admin);
    assert.ok(pollId);

    // Two voters sign up in their own browsers and see the card: not voted, no votes yet.
    await signUp(alice, base, "Alice Ng");
    await signUp(bob, base, "Bob Ruiz");
    assert.equal(await alice.getByRole("link", { name: "New poll" }).count(), 0, "alice is no admin");
    const card = bob.getByRole("link", { name: /Where should the team lunch/ });
    await card.getByText("Not voted yet").waitFor(WAIT);
    await card.getByText("0 votes").waitFor(WAIT);
    await openPollFromList(alice, QUESTION);
    await openPollFromList(bob, QUESTION);
    await alice.locator('[data-connection="live"]').waitFor(WAIT);
    await bob.locator('[data-connection="live"]').waitFor(WAIT);

    // Alice votes: everyone's chart moves without a reload, pushed over the WebSocket.
    await vote(alice, "Pizza place");
    for (const page of [alice, bob, admin]) await waitForTally(page, { "Pizza place": 1, "Taco truck": 0, "Sushi bar": 0 });
    await waitForPushed(bobLive, { "Pizza place": 1 });
    await waitForPushed(adminLive, { "Pizza place": 1 });

    // Bob votes on his phone: the results come into view without his scrolling, his vote marked.
    await vote(bob, "Taco truck");
    for (const page of [alice, bob, admin]) await waitForTally(page, { "Pizza place": 1, "Taco truck": 1, "Sushi bar": 0 });
    await bob.waitForFunction(() => {
      const r = document.querySelector(".results")?.getBoundingClientRect();
      return r && r.top >= 0 && r.top < window.innerHeight / 2;
    }, null, WAIT);
    assert.ok(await bob.locator('.chart-row.is-mine[data-option="Taco truck"]').isVisible());
    // Bars are shares of all votes: 1 of 2 fills half the track.
    const width = await bob.locator('.chart-row[data-option="Taco truck"] .chart-bar').evaluate((el) => el.style.width);
    assert.equal(width, "50%");

    // Alice retracts, opens the poll in a second tab (no vote held there), votes in the first
    // tab, then in the second picks another option and presses Vote: she is told she already
    // voted, her new pick stays selected, and "Change my vote" switches to it at once.
    await alice.getByRole("button", { name: "Retract my vote" }).click();
    await waitForTally(admin, { "Pizza place": 0, "Taco truck": 1 });
    const aliceTab = await aliceCtx.newPage(); // its 409 already_voted is this step's point: not watched
    await aliceTab.goto(`${base}/polls/${pollId}`);
    await aliceTab.getByRole("group", { name: /Cast your vote/ }).waitFor(WAIT);
    await vote(alice, "Pizza place");
    await aliceTab.getByRole("radio", { name: "Sushi bar" }).check();
    await aliceTab.getByRole("button", { name: "Vote" }).click();
    await aliceTab.getByRole("alert").filter({ hasText: "You already voted for “Pizza place”" }).waitFor(WAIT);
    assert.ok(await aliceTab.getByRole("radio", { name: "Sushi bar" }).isChecked(), "the attempted choice is kept");
    const change = aliceTab.getByRole("button", { name: "Change my vote" });
    assert.ok(await change.isEnabled());
    await change.click();
    await aliceTab.getByRole("status").filter({ hasText: "Your vote is now “Sushi bar”" }).waitFor(WAIT);
    await aliceTab.close();
    await waitForTally(bob, { "Pizza place": 0, "Taco truck": 1, "Sushi bar": 1 });

    // Bob retracts and votes again: still live everywhere.
    await bob.getByRole("button", { name: "Retract my vote" }).click();
    await waitForTally(alice, { "Pizza place": 0, "Taco truck": 0, "Sushi bar": 1 });
    await vote(bob, "Sushi bar");
    for (const page of [alice, bob, admin]) await waitForTally(page, { "Pizza place": 0, "Taco truck": 0, "Sushi bar": 2 });
    await alice.locator('.chart-row.is-leader[data-option="Sushi bar"]').getByText("Leading").waitFor(WAIT);

    // The admin closes the poll (the control sits after the results on a phone-width layout,
    // under the ballot on a desktop): it shows as closed for the voters too, pushed, no reload.
    await admin.getByRole("button", { name: "Close poll…" }).click();
    await admin.getByRole("button", { name: "Yes, close the poll" }).click();
    for (const page of [admin, alice, bob]) {
      await page.getByText("This poll is closed.").waitFor(WAIT);
      await page.getByRole("heading", { name: "Final results" }).waitFor(WAIT);
    }
    assert.equal(await alice.getByRole("button", { name: /vote/i }).count(), 0, "no vote buttons once closed");
    assert.ok(await alice.getByRole("radio", { name: "Sushi bar" }).isDisabled());
    await alice.locator('.chart-row.is-winner[data-option="Sushi bar"]').getByText("Winner").waitFor(WAIT);
    for (const page of [admin, alice, bob]) {
      await assertNotReloaded(page);
      // "final" once, in the heading: not in the badge, the banner, the caption and a label too
      assert.equal((await mainText(page)).match(/final/gi)?.length, 1, await mainText(page));
    }

    // Back on the list, the poll is under "Closed polls", with the voter's choice and the count.
    await alice.getByRole("link", { name: "All polls" }).click();
    const closed = alice.getByRole("region", { name: /Closed polls/ });
    const closedCard = closed.getByRole("link", { name: /Where should the team lunch/ });
    await closedCard.getByText("You voted: Sushi bar").waitFor(WAIT);
    await closedCard.getByText("2 votes").waitFor(WAIT);
    await shot(alice, "voting-closed-list");
    // Every live tally came over the AppSync Events protocol; nobody opened the SSE stream.
    await waitForPushed(bobLive, { "Sushi bar": 2 });
    assert.equal(bobLive.sse + adminLive.sse, 0);
    assert.ok(bobLive.sockets.length >= 1 && bobLive.sockets.every((s) => s.url === `${base.replace("http", "ws")}/event/realtime`));
    // No page error and no console error in the whole session: in particular no 404 for
    // "have I voted?" in a poll the viewer never voted in.
    assert.deepEqual(errors, []);
  });
});
