// Launches Debian's Chromium through playwright-core (which never downloads a browser here).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Chromium as root, headless, quiet on the network. Playwright gives every launch a fresh,
 *  empty temporary user-data-dir of its own (it refuses a --user-data-dir argument). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}
