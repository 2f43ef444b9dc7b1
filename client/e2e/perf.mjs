// What the first visit costs: bytes over the wire (gzip) and first contentful paint on a slow link.
import http from "node:http";

/** GET `url` with Accept-Encoding: gzip; resolves with status, headers and the raw (still
 *  compressed) body, so its size is what travels. */
export function rawGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { "Accept-Encoding": "gzip", ...headers } }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

/** The files a first visit loads before the app runs: index.html, then its stylesheet, entry
 *  script and module preloads (lazy chunks, such as the presenter view, are not among them). */
export function initialAssets(html) {
  const urls = new Set();
  for (const m of html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="(\/assets\/[^"]+)"/g)) urls.add(m[1]);
  return [...urls];
}

/** 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency: Lighthouse's "slow 4G" link. */
export const SLOW_LINK = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };

/** Open `url` in a fresh context over the throttled link; first contentful paint and the
 *  moment the app's own page (`ready`) is on screen, in ms since navigation start. */
export async function measureFirstVisit(browser, url, ready) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", SLOW_LINK);
  await page.goto(url, { waitUntil: "commit" });
  await ready(page);
  const appMs = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0);
  const timing = await page.evaluate(() => ({
    fcp: performance.getEntriesByName("first-contentful-paint")[0].startTime,
    transferred: [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].reduce(
      (sum, e) => sum + (e.transferSize || 0),
      0,
    ),
  }));
  await context.close();
  return { fcpMs: Math.round(timing.fcp), appMs: Math.round(appMs), transferredBytes: timing.transferred };
}
