import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../kernel/package-root";

/**
 * `streamlab lab` (npm start): JupyterLab from the project's .venv, on 127.0.0.1 only, rooted in
 * notebooks/, with the streamlab kernel that npm install registered there. Extra arguments go to
 * `jupyter lab` (e.g. `--no-browser`, `--port 8899`).
 */
export async function main(args: string[]): Promise<number> {
  const root = packageRoot();
  const jupyter = path.join(root, ".venv", "bin", "jupyter");
  if (!fs.existsSync(jupyter)) {
    console.error(`streamlab lab: ${jupyter} is missing. Run npm install (it creates .venv), or node scripts/setup-python.js.`);
    return 1;
  }
  const notebooks = path.join(root, "notebooks");
  fs.mkdirSync(notebooks, { recursive: true });
  // Containers and CI machines often run as root, which JupyterLab refuses without --allow-root.
  const asRoot = typeof process.geteuid === "function" && process.geteuid() === 0 ? ["--allow-root"] : [];
  const child = spawn(jupyter, ["lab", "--ServerApp.ip=127.0.0.1", `--ServerApp.root_dir=${notebooks}`, ...asRoot, ...args], { stdio: "inherit" });
  // Ctrl-C reaches JupyterLab directly (same process group); it asks to confirm and shuts down.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  return new Promise((resolve) => {
    child.on("error", (e) => { console.error(`streamlab lab: ${e.message}`); resolve(1); });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
