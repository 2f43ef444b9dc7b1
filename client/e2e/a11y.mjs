// axe-core, injected into the page, on every screen in light and dark mode.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { artifactsDir } from "./server.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const report = [];

/** Run axe on the page as it is, in light and in dark mode; fail on any serious or critical
 *  violation, and keep every finding (of any impact) in e2e-artifacts/axe.json. */
export async function checkA11y(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.addScriptTag({ content: axeSource });
  const found = [];
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
      }));
    });
    report.push({ screen, colorScheme, violations });
    found.push(...violations.map((v) => ({ ...v, colorScheme })));
  }
  await page.emulateMedia({ colorScheme: null });
  writeFileSync(join(artifactsDir, "axe.json"), JSON.stringify(report, null, 2));
  const blocking = found.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(blocking, [], `axe on "${screen}": ${JSON.stringify(blocking, null, 1)}`);
  return found;
}

export const axeScreens = () => report.map((r) => `${r.screen} (${r.colorScheme})`);
