// Starts `votes serve` on a free port with a fresh SQLite database, serving client/dist.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const clientDir = resolve(here, "..");
export const repoRoot = resolve(clientDir, "..");
export const artifactsDir = join(clientDir, "e2e-artifacts");

/** The `votes` command: $VOTES_BIN, else the repo's venv. */
function votesBin() {
  const bin = process.env.VOTES_BIN ?? join(repoRoot, ".venv", "bin", "votes");
  if (!existsSync(bin)) throw new Error(`votes not found at ${bin}; set VOTES_BIN or create the venv`);
  return bin;
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForHealth(base, child, deadlineMs) {
  const until = Date.now() + deadlineMs;
  let last = "";
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`votes serve exited with ${child.exitCode ?? child.signalCode}`);
    }
    try {
      const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`votes serve did not become healthy at ${base}: ${last}`);
}

/**
 * Start `votes serve`; resolves with {base, stop, restart}. Its output goes to
 * e2e-artifacts/<name>.log. `env` adds settings (e.g. VOTES_LIVE_KEEPALIVE=5). `restart()`
 * starts it again on the same port and database (after `stop()`, for outage tests).
 */
export async function startServer({ admins, name = "server", env = {} }) {
  const dir = mkdtempSync(join(tmpdir(), "votes-e2e-"));
  const port = await freePort();
  const log = createWriteStream(join(artifactsDir, `${name}.log`), { flags: "a" });
  const base = `http://127.0.0.1:${port}`;
  let child = await launch({ admins, env, dir, port, log, base });
  return {
    base,
    stop: () => stopChild(child),
    restart: async () => {
      await stopChild(child);
      child = await launch({ admins, env, dir, port, log, base });
    },
  };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return; // exited, or killed by a signal
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function launch({ admins, env, dir, port, log, base }) {
  const child = spawn(
    votesBin(),
    ["serve", "--port", String(port), "--database", `sqlite:///${join(dir, "votes.db")}`],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        VOTES_ADMINS: admins.join(","),
        VOTES_CLIENT_DIST: join(clientDir, "dist"),
        VOTES_IDP_KEY_FILE: join(dir, "idp-key.pem"),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  try {
    await waitForHealth(base, child, 60_000);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return child;
}
