import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./venv";

/** A JupyterLab server started by a test. */
export interface JupyterLab {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  token: string;
  /** The server's own output so far (for failure messages). */
  log(): string;
  /** Shuts the server down (and with it its kernels); bounded. */
  stop(): Promise<void>;
}

/**
 * Starts JupyterLab from .venv on 127.0.0.1, a port the OS picks, a random token, rooted in
 * `rootDir`. Its config, data-side settings, workspaces and runtime files live in a fresh temp
 * directory, so a user's own Jupyter set-up never changes what the test sees; the streamlab kernel
 * is found in .venv (sys.prefix). Nothing is fetched from outside: no news, no update check.
 * `extraArgs` go to `jupyter lab` as given (e.g. `--LabApp.expose_app_in_browser=True`).
 */
export async function startJupyterLab(rootDir: string, timeoutMs = 30_000, extraArgs: string[] = []): Promise<JupyterLab> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-lab-"));
  const runtimeDir = path.join(home, "runtime");
  const token = randomBytes(16).toString("hex");
  fs.mkdirSync(path.join(home, "config"));
  // No news feed, no update check (both would reach outside the machine), and no toast asking
  // about them over the page.
  fs.writeFileSync(path.join(home, "config", "jupyter_server_config.json"), JSON.stringify({
    LabApp: { news_url: null, check_for_updates_class: "jupyterlab.handlers.announcements.NeverCheckForUpdate" },
  }));
  const notificationSettings = path.join(home, "settings", "@jupyterlab", "apputils-extension");
  fs.mkdirSync(notificationSettings, { recursive: true });
  fs.writeFileSync(path.join(notificationSettings, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  const asRoot = process.geteuid?.() === 0 ? ["--allow-root"] : [];
  const child = spawn(path.join(ROOT, ".venv", "bin", "jupyter"), [
    "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${rootDir}`,
    ...asRoot, ...extraArgs,
  ], {
    cwd: rootDir,
    env: {
      ...process.env,
      JUPYTER_CONFIG_DIR: path.join(home, "config"),
      JUPYTER_DATA_DIR: path.join(home, "data"),
      JUPYTER_RUNTIME_DIR: runtimeDir,
      JUPYTERLAB_SETTINGS_DIR: path.join(home, "settings"),
      JUPYTERLAB_WORKSPACES_DIR: path.join(home, "workspaces"),
      PYTHONUNBUFFERED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const lab: JupyterLab = { baseUrl: "", token, log: () => output, stop: () => stopServer(child, home, lab) };
  try {
    lab.baseUrl = await waitForServer(child, runtimeDir, token, timeoutMs, () => output);
    return lab;
  } catch (e) {
    await lab.stop();
    throw e;
  }
}

/** Waits for the server's runtime file (it names the port the OS picked), then for /api/status. */
async function waitForServer(child: ChildProcess, runtimeDir: string, token: string, timeoutMs: number, log: () => string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once("exit", () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`JupyterLab exited before it was ready:\n${log()}`);
    const file = fs.existsSync(runtimeDir) ? fs.readdirSync(runtimeDir).find((f) => /^jpserver-\d+\.json$/.test(f)) : undefined;
    if (file) {
      const { port } = JSON.parse(fs.readFileSync(path.join(runtimeDir, file), "utf8")) as { port: number };
      const baseUrl = `http://127.0.0.1:${port}`;
      const res = await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } }).catch(() => undefined);
      if (res?.ok) return baseUrl;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`JupyterLab was not ready after ${timeoutMs} ms:\n${log()}`);
}

/**
 * Shuts the kernels down through the REST API first (kernels run in their own session, so a
 * killed server would leave them behind), then SIGTERM, then SIGKILL if the server has not exited
 * after 10 s.
 */
async function stopServer(child: ChildProcess, home: string, lab: JupyterLab): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    if (lab.baseUrl) await shutDownKernels(lab).catch(() => undefined);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(home, { recursive: true, force: true });
}

async function shutDownKernels(lab: JupyterLab): Promise<void> {
  const headers = { Authorization: `token ${lab.token}` };
  const kernels = (await (await fetch(`${lab.baseUrl}/api/kernels`, { headers })).json()) as Array<{ id: string }>;
  await Promise.all(kernels.map((k) => fetch(`${lab.baseUrl}/api/kernels/${k.id}`, { method: "DELETE", headers, signal: AbortSignal.timeout(8000) })));
}
