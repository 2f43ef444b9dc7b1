// The app as people meet it (issue 17): loading, keyboard, closing times, hidden results, the
// presenter view, an outage; axe on every screen in light and dark mode; a screenshot of every
// screen on a desktop, a phone and in dark mode; first contentful paint on a slow link.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { checkA11y } from "./a11y.mjs";
import { launchBrowser } from "./browser.mjs";
import {
  assertNotReloaded,
  createPollByApi,
  DARK,
  DESKTOP,
  emailOf,
  markNoReload,
  PASSWORD,
  PHONE,
  shot,
  signUp,
  vote,
  WAIT,
  waitForPushed,
  waitForTally,
  watchErrors,
  watchLive,
} from "./flows.mjs";
import { initialAssets, measureFirstVisit, rawGet } from "./perf.mjs";
import { artifactsDir, startServer } from "./server.mjs";

mkdirSync(artifactsDir, { recursive: true });
const VARIANTS = { desktop: DESKTOP, phone: PHONE, dark: DARK };
const BUNDLE_BUDGET = 100 * 1000; // bytes of gzip over the wire for a first visit
const perf = {};

async function signIn(page, base, email) {
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in to vote" }).click();
  await page.getByRole("heading", { name: "Polls", level: 1 }).waitFor(WAIT);
}

describe("the app as people meet it", { timeout: 600_000 }, () => {
  let server;
  let browser;
  const errors = [];
  const pages = { voter: {}, admin: {} };
  const polls = {};
  const in2days = () => new Date(Date.now() + 2 * 24 * 3600 * 1000 - 60_000).toISOString();

  before(async () => {
    server = await startServer({ admins: ["ada@example.com"], name: "server-experience" });
    browser = await launchBrowser();
    // Everyone signed in, on a desktop, a phone and in dark mode.
    for (const [who, name] of [
      ["admin", "Ada Lovelace"],
      ["voter", "Grace Hopper"],
    ]) {
      for (const [variant, options] of Object.entries(VARIANTS)) {
        const page = await (await browser.newContext(options)).newPage();
        watchErrors(page, `${who}-${variant}`, errors);
        if (variant === "desktop") await signUp(page, server.base, name);
        else await signIn(page, server.base, emailOf(name));
        pages[who][variant] = page;
      }
    }
    const admin = pages.admin.desktop;
    polls.live = await createPollByApi(admin, {
      question: "Which talk should open the meetup?",
      options: ["Event sourcing in practice", "Serverless databases", "Accessible charts", "Load testing"],
    });
    polls.fresh = await createPollByApi(admin, {
      question: "Best time for the retrospective?",
      options: ["Monday 10:00", "Wednesday 14:00", "Friday 16:00"],
      closes_at: in2days(),
    });
    polls.hidden = await createPollByApi(admin, {
      question: "Who should host the next demo day?",
      options: ["Platform team", "Data team", "Design team"],
      results_visibility: "after_vote",
    });
    polls.closed = await createPollByApi(admin, { question: "Which snacks for the offsite?", options: ["Fruit", "Crisps", "Cookies"] });
    const voter = pages.voter.desktop;
    for (const [id, option] of [
      [polls.live, "Accessible charts"],
      [polls.closed, "Cookies"],
    ]) {
      await voter.goto(`${server.base}/polls/${id}`);
      await vote(voter, option);
    }
    await admin.goto(`${server.base}/polls/${polls.live}`);
    await vote(admin, "Event sourcing in practice");
    await admin.goto(`${server.base}/polls/${polls.closed}`);
    await vote(admin, "Cookies");
    await admin.getByRole("button", { name: "Close poll…" }).click();
    await admin.getByRole("button", { name: "Yes, close the poll" }).click();
    await admin.getByText("This poll is closed.").waitFor(WAIT);
  });
  after(async () => {
    writeFileSync(join(artifactsDir, "perf.json"), JSON.stringify(perf, null, 2));
    await browser?.close();
    await server?.stop();
  });

  test("static files: gzip, cached immutably by hash, a loading placeholder, under 100 kB", async () => {
    const index = await rawGet(`${server.base}/`, { Accept: "text/html" });
    assert.equal(index.headers["content-encoding"], "gzip");
    assert.equal(index.headers["cache-control"], "no-cache");
    const { gunzipSync } = await import("node:zlib");
    const html = gunzipSync(index.body).toString();
    assert.match(html, /class="boot"[^]*Loading…/, "index.html paints a placeholder before the bundle arrives");
    const files = initialAssets(html);
    assert.ok(files.some((f) => f.endsWith(".js")) && files.some((f) => f.endsWith(".css")), files.join());
    let total = index.body.length;
    perf.files = { "/": index.body.length };
    for (const file of files) {
      const asset = await rawGet(`${server.base}${file}`);
      assert.equal(asset.status, 200, file);
      assert.equal(asset.headers["content-encoding"], "gzip", file);
      assert.equal(asset.headers["cache-control"], "public, max-age=31536000, immutable", file);
      perf.files[file] = asset.body.length;
      total += asset.body.length;
    }
    perf.firstVisitGzipBytes = total;
    console.log(`RESULT first-visit-gzip bytes=${total} ratio=${(BUNDLE_BUDGET / total).toFixed(2)} target=1`);
    assert.ok(total < BUNDLE_BUDGET, `the first visit transfers ${total} bytes of gzip (budget ${BUNDLE_BUDGET})`);
  });

  test("first contentful paint on a 1.6 Mbit/s, 150 ms link", async () => {
    const first = await measureFirstVisit(browser, `${server.base}/`, (page) =>
      page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 60_000 }),
    );
    Object.assign(perf, first);
    // Reported, not asserted (the machine's load moves it): the placeholder in index.html is
    // the first paint, and it needs only the HTML and the stylesheet.
    console.log(`RESULT fcp-slow-link ms=${first.fcpMs} ratio=${(1000 / first.fcpMs).toFixed(2)} target=1`);
    console.log(`RESULT sign-in-shown-slow-link ms=${first.appMs} transferred=${first.transferredBytes}`);
    assert.ok(first.fcpMs > 0 && first.appMs >= first.fcpMs);
  });

  test("every screen: axe in light and dark mode, a screenshot on desktop, phone and dark", async () => {
    const { base } = server;
    const screens = [
      ["polls", "voter", "/", (p) => p.getByText("You voted: Accessible charts").waitFor(WAIT)],
      ["poll-voted", "voter", `/polls/${polls.live}`, (p) => p.locator('[data-connection="live"]').waitFor(WAIT)],
      ["poll-not-voted", "voter", `/polls/${polls.fresh}`, (p) => p.locator('[data-connection="live"]').waitFor(WAIT)],
      ["poll-results-hidden", "voter", `/polls/${polls.hidden}`, (p) => p.getByText("Results appear once you vote").waitFor(WAIT)],
      ["poll-closed", "voter", `/polls/${polls.closed}`, (p) => p.locator(".chart-row.is-winner").waitFor(WAIT)],
      ["poll-admin", "admin", `/polls/${polls.live}`, (p) => p.getByRole("button", { name: "Close poll…" }).waitFor(WAIT)],
      ["polls-admin", "admin", "/", (p) => p.getByRole("link", { name: "New poll" }).waitFor(WAIT)],
      ["new-poll", "admin", "/polls/new", async (p) => {
        await p.getByLabel("Question").fill("Where should the summer party be?");
        await p.getByLabel("Option 1", { exact: true }).fill("By the lake");
      }],
      ["present", "admin", `/polls/${polls.live}/present`, (p) => p.locator('[data-connection="live"]').waitFor(WAIT)],
      ["not-found", "voter", "/polls/no-such-poll", (p) => p.getByRole("heading", { name: "Poll not found" }).waitFor(WAIT)],
      ["page-not-found", "voter", "/nowhere", (p) => p.getByRole("heading", { name: "Page not found" }).waitFor(WAIT)],
    ];
    for (const [screen, who, path, settled] of screens) {
      for (const variant of Object.keys(VARIANTS)) {
        const page = pages[who][variant];
        await page.goto(`${base}${path}`);
        await settled(page);
        await shot(page, `${screen}-${variant}`);
        if (variant === "desktop") await checkA11y(page, screen);
      }
    }
    // Signed out: sign-in, and sign-up with the password checklist half done.
    for (const [variant, options] of Object.entries(VARIANTS)) {
      const page = await (await browser.newContext(options)).newPage();
      watchErrors(page, `signed-out-${variant}`, errors);
      await page.goto(`${base}/`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
      await shot(page, `sign-in-${variant}`);
      if (variant === "desktop") await checkA11y(page, "sign-in");
      await page.getByRole("button", { name: "Create account", exact: true }).click();
      await page.getByLabel("E-mail address").fill("new.person@example.com");
      await page.getByLabel("Your name").fill("New Person");
      await page.getByLabel("Password", { exact: true }).fill("secret1");
      await shot(page, `sign-up-${variant}`);
      if (variant === "desktop") await checkA11y(page, "sign-up");
      await page.context().close();
    }
  });

  test("sign-up asks for e-mail, name and a password checked live against the pool's rules", async () => {
    const page = await (await browser.newContext(DESKTOP)).newPage();
    watchErrors(page, "sign-up", errors);
    await page.goto(`${server.base}/`);
    await page.getByRole("button", { name: "Create account", exact: true }).click();
    const rules = page.getByRole("list", { name: "Password rules" });
    const met = () => rules.locator("li").evaluateAll((lis) => lis.map((li) => `${li.dataset.rule}:${li.dataset.met}`));
    // the pool's policy (deploy/cognito.yml): 8+, lower, upper, number; no symbol rule
    assert.deepEqual(await met(), ["length:false", "lowercase:false", "uppercase:false", "number:false"]);
    const password = page.getByLabel("Password", { exact: true });
    await password.fill("abc");
    assert.deepEqual(await met(), ["length:false", "lowercase:true", "uppercase:false", "number:false"]);
    await password.fill("abcDEF12");
    assert.deepEqual(await met(), ["length:true", "lowercase:true", "uppercase:true", "number:true"]);
    // all rules at once, not one at a time, before anything is sent
    await password.fill("abc");
    await page.getByLabel("E-mail address").fill("lin@example.com");
    await page.getByLabel("Your name").fill("Lin Wu");
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "The password needs: at least 8 characters, an upper-case letter, a number." }).waitFor(WAIT);
    await password.fill("abcDEF12"); // no symbol: the pool does not ask for one
    await page.getByRole("button", { name: "Create account and sign in" }).click();
    await page.getByRole("heading", { name: "Polls", level: 1 }).waitFor(WAIT);
    assert.equal((await page.locator(".user-name").innerText()).trim(), "Lin Wu");
    await page.context().close();
  });

  test("a path URL and an old hash link open the poll", async () => {
    const page = pages.voter.desktop;
    await page.goto(`${server.base}/polls/${polls.live}`);
    await page.getByRole("heading", { name: "Which talk should open the meetup?", level: 1 }).waitFor(WAIT);
    await page.goto(`${server.base}/#/polls/${polls.live}`);
    await page.getByRole("heading", { name: "Which talk should open the meetup?", level: 1 }).waitFor(WAIT);
    assert.equal(new URL(page.url()).pathname, `/polls/${polls.live}`);
    assert.equal(new URL(page.url()).hash, "");
  });

  test("keyboard: the skip link moves to the content, and poll cards show a focus ring", async () => {
    const page = pages.voter.desktop;
    await page.goto(`${server.base}/`);
    await page.getByRole("link", { name: /Which talk/ }).waitFor(WAIT);
    // The skip link comes first in the tab order, above the page's heading (which holds the
    // focus after a navigation), and shows itself when focused.
    const order = await page.evaluate(() => {
      const first = [...document.querySelectorAll("a[href], button, input, [tabindex]")].find((el) => el.tabIndex >= 0);
      return first?.textContent;
    });
    assert.equal(order, "Skip to content");
    await page.locator(".skip-link").focus();
    const box = await page.locator(".skip-link").boundingBox();
    assert.ok(box && box.y >= 0, "the focused skip link is on screen");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
    assert.equal(new URL(page.url()).pathname, "/");
    assert.equal(await page.getByText("Page not found").count(), 0);
    await page.getByRole("heading", { name: "Polls", level: 1 }).waitFor();
    let ring = null;
    for (let i = 0; i < 12 && !ring; i++) {
      await page.keyboard.press("Tab");
      ring = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el?.classList.contains("poll-card")) return null;
        const s = getComputedStyle(el);
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
    }
    assert.ok(ring, "a poll card took the focus");
    assert.equal(ring.style, "solid");
    assert.ok(ring.width >= 2);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1 }).filter({ hasText: "?" }).waitFor(WAIT);
  });

  test("polish: visible option labels, no undelivered web font, admin controls after the results on a phone", async () => {
    const admin = pages.admin.desktop;
    await admin.goto(`${server.base}/polls/new`);
    await admin.getByRole("button", { name: "Add option" }).click();
    const labels = await admin.locator(".option-inputs input").evaluateAll((inputs) =>
      inputs.map((input) => {
        const label = document.querySelector(`label[for="${input.id}"]`);
        return label && label.getBoundingClientRect().width > 0 ? label.textContent : null;
      }),
    );
    assert.deepEqual(labels, ["Option 1", "Option 2", "Option 3"]);
    const fonts = await admin.evaluate(() => ({
      family: getComputedStyle(document.body).fontFamily,
      webFonts: [...document.fonts].map((f) => `${f.family} ${f.status}`),
    }));
    assert.doesNotMatch(fonts.family, /Inter/);
    assert.deepEqual(fonts.webFonts, []);
    const phone = pages.admin.phone;
    await phone.goto(`${server.base}/polls/${polls.live}`);
    await phone.getByRole("button", { name: "Close poll…" }).waitFor(WAIT);
    const top = (sel) => phone.locator(sel).evaluate((el) => el.getBoundingClientRect().top);
    assert.ok((await top(".poll-ballot")) < (await top(".results")), "ballot first");
    assert.ok((await top(".results")) < (await top(".poll-admin")), "admin controls after the results");
  });

  test("a mistyped poll address says so in plain words", async () => {
    const page = pages.voter.desktop;
    await page.goto(`${server.base}/polls/not-a-poll`);
    await page.getByRole("heading", { name: "Poll not found" }).waitFor(WAIT);
    assert.equal(await page.getByText(/check your input|validation/i).count(), 0);
  });

  test("cards say whether you voted, how many votes are in, and how long the poll stays open", async () => {
    const page = pages.voter.phone;
    await page.goto(`${server.base}/`);
    const live = page.getByRole("link", { name: /Which talk/ });
    await live.getByText("You voted: Accessible charts").waitFor(WAIT);
    await live.getByText("2 votes").waitFor(WAIT);
    const fresh = page.getByRole("link", { name: /Best time for the retrospective/ });
    await fresh.getByText("Not voted yet").waitFor(WAIT);
    await fresh.getByText(/Closes in 1 day 23 h/).waitFor(WAIT);
  });

  test("closing time: a countdown, and the page flips to closed at the deadline without a reload", async () => {
    const closesAt = new Date(Date.now() + 7000).toISOString();
    const id = await createPollByApi(pages.admin.desktop, { question: "Quick: tea or coffee?", options: ["Tea", "Coffee"], closes_at: closesAt });
    const page = pages.voter.desktop;
    await page.goto(`${server.base}/`);
    const card = page.getByRole("region", { name: /Open polls/ }).getByRole("link", { name: /tea or coffee/ });
    await card.getByText(/Closes in \d s/).waitFor(WAIT);
    await card.click();
    await page.getByRole("heading", { name: "Quick: tea or coffee?", level: 1 }).waitFor(WAIT);
    await markNoReload(page);
    await page.locator(".poll-head").getByText(/Closes in \d s/).waitFor(WAIT);
    assert.ok(await page.getByRole("button", { name: "Vote" }).isVisible());
    await page.getByText("This poll is closed.").waitFor({ timeout: 30_000 });
    assert.ok(Date.now() >= Date.parse(closesAt));
    await page.locator(".poll-head .badge-closed").getByText("Ended").waitFor(WAIT);
    await page.getByRole("heading", { name: "Final results" }).waitFor(WAIT);
    assert.equal(await page.getByRole("button", { name: "Vote" }).count(), 0);
    await assertNotReloaded(page);
    await page.getByRole("link", { name: "All polls" }).click();
    await page.getByRole("region", { name: /Closed polls/ }).getByRole("link", { name: /tea or coffee/ }).waitFor(WAIT);
  });

  test("results hidden until the voter votes: enforced by the server, shown to admins", async () => {
    const page = pages.voter.desktop;
    const resultReads = [];
    page.on("request", (r) => {
      if (/\/results(\/stream)?(\?|$)/.test(new URL(r.url()).pathname + new URL(r.url()).search)) resultReads.push(r.url());
    });
    await page.goto(`${server.base}/polls/${polls.hidden}`);
    await page.getByText("Results appear once you vote").waitFor(WAIT);
    assert.equal(await page.locator(".chart").count(), 0);
    assert.deepEqual(resultReads, [], "no results are requested while hidden");
    // the API refuses them too, not only the page (asked from here: the page's console stays clean)
    const accessToken = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith("votes.tokens."));
      return JSON.parse(localStorage.getItem(key)).accessToken;
    });
    const refused = await fetch(`${server.base}/polls/${polls.hidden}/results`, { headers: { Authorization: `Bearer ${accessToken}` } });
    assert.equal(`${refused.status} ${(await refused.json()).error.code}`, "403 results_hidden");
    const admin = pages.admin.desktop;
    await admin.goto(`${server.base}/polls/${polls.hidden}`);
    await waitForTally(admin, { "Platform team": 0, "Data team": 0, "Design team": 0 });
    await vote(page, "Data team");
    await waitForTally(page, { "Platform team": 0, "Data team": 1, "Design team": 0 });
    await waitForTally(admin, { "Platform team": 0, "Data team": 1, "Design team": 0 });
  });

  test("presenter view: large type, a QR code and short link, live", async () => {
    const present = pages.admin.desktop;
    await present.goto(`${server.base}/polls/${polls.live}/present`);
    await present.locator('[data-connection="live"]').waitFor(WAIT);
    await markNoReload(present);
    const joinUrl = `${server.base}/polls/${polls.live}`;
    await present.getByRole("img", { name: `QR code for ${joinUrl.replace("http://", "")}` }).waitFor(WAIT);
    assert.equal((await present.locator(".present-link").innerText()).trim(), joinUrl.replace("http://", ""));
    const h1 = await present.locator("h1").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(h1 >= 48, `the question is set large (${h1}px)`);
    const voter = pages.voter.phone;
    await voter.goto(joinUrl);
    await vote(voter, "Serverless databases", "Change my vote");
    await waitForTally(present, { "Serverless databases": 1, "Accessible charts": 0, "Event sourcing in practice": 1 });
    await assertNotReloaded(present);
    await present.getByRole("button", { name: "Full screen" }).click();
    await present.waitForFunction(() => document.fullscreenElement?.classList.contains("present-stage"), null, WAIT);
    await present.getByRole("button", { name: "Exit full screen" }).click();
    await present.waitForFunction(() => document.fullscreenElement === null, null, WAIT);
  });

  test("a vote arriving animates: the bar glides, the number pops (not under reduced motion)", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signIn(page, server.base, emailOf("Grace Hopper"));
    await page.goto(`${server.base}/polls/${polls.live}`);
    const row = page.locator('.chart-row[data-option="Serverless databases"]');
    await row.waitFor(WAIT);
    const motion = await row.evaluate((el) => ({
      bar: getComputedStyle(el.querySelector(".chart-bar")).transitionProperty,
      pop: getComputedStyle(el.querySelector(".chart-pct")).animationName,
    }));
    assert.deepEqual(motion, { bar: "width", pop: "pop" });
    // the other contexts ask for reduced motion: nothing moves there
    await pages.voter.desktop.goto(`${server.base}/polls/${polls.live}`);
    const reduced = await pages.voter.desktop
      .locator(".chart-row .chart-pct")
      .first()
      .evaluate((el) => getComputedStyle(el).animationName);
    assert.equal(reduced, "none");
    await page.context().close();
  });

  test("an outage: 'reconnecting', then a clear stale-results warning, then live again", async () => {
    // Its own page: the requests refused while the server is down are this test's point.
    const page = await (await browser.newContext(DESKTOP)).newPage();
    const live = watchLive(page);
    await signIn(page, server.base, emailOf("Grace Hopper"));
    await page.goto(`${server.base}/polls/${polls.live}`);
    await page.locator('[data-connection="live"]').waitFor(WAIT);
    await markNoReload(page);
    const before = live.sockets.length;
    assert.ok(before >= 1, "the page follows the poll over the realtime WebSocket");
    for (const group of Object.values(pages)) for (const p of Object.values(group)) await p.goto("about:blank");
    await server.stop();
    await page.locator('[data-connection="reconnecting"]').waitFor(WAIT);
    assert.ok(live.sockets[before - 1].closed, "the server's restart closed the socket");
    await page.getByText(/Connection lost\. These results may be out of date/).waitFor(WAIT);
    await page.locator('.results[data-status="stale"]').waitFor(WAIT);
    await shot(page, "poll-stale-desktop");
    await checkA11y(page, "poll-stale");
    await server.restart();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 40_000 });
    assert.equal(await page.getByText(/may be out of date/).count(), 0);
    // Reconnected: a new socket to the restarted server, and the chart moves over it.
    const reconnected = live.sockets.length - 1;
    assert.ok(reconnected >= before && !live.sockets[reconnected].closed);
    const admin = pages.admin.desktop;
    await admin.goto(`${server.base}/polls/${polls.live}`);
    await vote(admin, "Load testing", "Change my vote");
    await waitForTally(page, { "Load testing": 1, "Event sourcing in practice": 0 });
    await waitForPushed(live, { "Load testing": 1, "Event sourcing in practice": 0 }, reconnected);
    await assertNotReloaded(page);
    assert.equal(live.sse, 0);
    await page.context().close();
  });

  test("no page error and no console error on any watched page", () => {
    assert.deepEqual(errors, []);
  });
});
