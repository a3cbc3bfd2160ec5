#!/usr/bin/env node
// Creates the project's Python environment .venv (JupyterLab, nbclient, jupyter_client,
// jupyter_kernel_test from requirements-jupyter.txt) and registers the streamlab kernel in it.
// Run by `npm install` (postprepare, after the build). Idempotent: when the requirements have not
// changed since the last successful run, pip is not called. A failure never fails `npm install`:
// the engine works without Python; only the notebook tools need it.
// STREAMLAB_SKIP_PYTHON=1 skips it; STREAMLAB_PYTHON picks the interpreter (default python3).
"use strict";
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const venv = path.join(root, ".venv");
const venvPython = path.join(venv, "bin", "python");
const requirements = path.join(root, "requirements-jupyter.txt");
const stampFile = path.join(venv, ".streamlab-requirements");

function say(msg) { process.stdout.write(`streamlab setup-python: ${msg}\n`); }

function giveUp(msg) {
  process.stderr.write(
    `\nstreamlab setup-python: ${msg}\n` +
    "  The engine and `streamlab submit` work without it; the Jupyter kernel tests and `npm start` need it.\n" +
    "  Fix the cause and run `node scripts/setup-python.js` (or `npm install`) again.\n\n");
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.error) return `${cmd} could not be started (${r.error.message})`;
  return r.status === 0 ? undefined : `\`${cmd} ${args.join(" ")}\` exited with status ${r.status}`;
}

function stamp() {
  const python = spawnSync(venvPython, ["--version"], { encoding: "utf8" });
  return crypto.createHash("sha256").update(fs.readFileSync(requirements)).update(python.stdout || "").digest("hex");
}

function main() {
  if (process.env.STREAMLAB_SKIP_PYTHON) return say("skipped (STREAMLAB_SKIP_PYTHON is set)");
  if (!fs.existsSync(venvPython)) {
    const python = process.env.STREAMLAB_PYTHON || "python3";
    say(`creating ${venv} with ${python} -m venv`);
    const err = run(python, ["-m", "venv", venv]);
    if (err) giveUp(`could not create the Python environment .venv: ${err}. Install Python 3.9+ with its venv module (Debian: apt-get install python3-venv).`);
  }
  const want = stamp();
  const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8").trim() : "";
  if (want !== have) {
    say("installing the pinned Jupyter packages (requirements-jupyter.txt) into .venv");
    const err = run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", requirements]);
    if (err) giveUp(`pip could not install requirements-jupyter.txt into .venv: ${err}. Check that PyPI is reachable.`);
    fs.writeFileSync(stampFile, want + "\n");
  }
  const builtSpec = path.join(root, "dist", "kernel", "kernelspec.js");
  if (!fs.existsSync(builtSpec)) giveUp(`${builtSpec} is missing: run npm run build first.`);
  const dir = require(builtSpec).writeKernelSpec(path.join(venv, "share", "jupyter", "kernels"));
  say(`.venv is ready; the streamlab kernel is registered in ${dir}`);
}

main();
