import { spawnSync } from "child_process";
import * as fs from "fs";

/** Debian's Chromium (the package `chromium`); STREAMLAB_CHROMIUM names another build. */
export const CHROMIUM = process.env.STREAMLAB_CHROMIUM ?? "/usr/bin/chromium";

/**
 * The flags every test browser gets: headless, no sandbox (containers and CI run as root), and no
 * traffic of its own (the machine has no outside network; sync, component updates, QUIC and
 * background requests would only stall or fail). The user data dir is passed separately, fresh.
 */
export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * Returns the Chromium to drive. When it is missing and we run as root (CI, containers), installs
 * Debian's package with apt-get, as .ci/run does; otherwise fails with the command to run. Never
 * skips: a browser test that silently does not run proves nothing.
 */
export function ensureChromium(): string {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const fix = "Install Debian's Chromium: `apt-get update && apt-get install -y chromium` (as root), or set STREAMLAB_CHROMIUM to a Chromium binary.";
  if (process.env.STREAMLAB_CHROMIUM) throw new Error(`STREAMLAB_CHROMIUM=${CHROMIUM} does not exist. ${fix}`);
  if (process.geteuid?.() !== 0) throw new Error(`${CHROMIUM} is missing and this test is not running as root, so it cannot install it. ${fix}`);
  process.stderr.write(`${CHROMIUM} is missing: installing Debian's chromium with apt-get (once per machine)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-q"], ["install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", "chromium"]]) {
    const r = spawnSync("apt-get", args, { env, encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}${r.stderr}\n${fix}`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing. ${fix}`);
  return CHROMIUM;
}
