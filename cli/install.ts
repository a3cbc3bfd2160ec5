import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KERNEL_NAME, kernelSpec } from "../kernel/kernelspec";

const USAGE = `usage: streamlab install [--user | --sys-prefix | --prefix PREFIX] [--python PYTHON]
Registers the streamlab Jupyter kernel ("TypeScript (streamlab)") with the Jupyter of PYTHON (default python3).
  --user        the per-user kernels directory (default unless root)
  --sys-prefix  sys.prefix of PYTHON (a virtualenv or conda env)
  --prefix P    P/share/jupyter/kernels/`;

interface InstallOptions { user: boolean; sysPrefix: boolean; prefix?: string; python: string }

function parse(args: string[]): InstallOptions | string {
  const o: InstallOptions = { user: false, sysPrefix: false, python: "python3" };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--user") o.user = true;
    else if (a === "--sys-prefix") o.sysPrefix = true;
    else if (a === "--prefix" || a === "--python") {
      const v = args[++i];
      if (!v) return `${a} needs a value`;
      if (a === "--prefix") o.prefix = v; else o.python = v;
    } else if (a.startsWith("--prefix=")) o.prefix = a.slice("--prefix=".length);
    else if (a.startsWith("--python=")) o.python = a.slice("--python=".length);
    else return `unknown option ${a}`;
  }
  if ([o.user, o.sysPrefix, o.prefix !== undefined].filter(Boolean).length > 1) return "use only one of --user, --sys-prefix and --prefix";
  return o;
}

// Jupyter's own installer puts the spec where that Python's `jupyter kernelspec list` looks.
const PY_INSTALL = `
import sys
try:
    from jupyter_client.kernelspec import KernelSpecManager
except ImportError:
    sys.exit("jupyter_client is not installed in " + sys.executable + ": pip install jupyterlab (or pass --python)")
src, name, mode, prefix = sys.argv[1:5]
if mode == "sys-prefix":
    prefix = sys.prefix
dest = KernelSpecManager().install_kernel_spec(src, name, user=(mode == "user"), prefix=(prefix or None))
print("Installed kernelspec %s in %s" % (name, dest))
`;

/** `streamlab install`: registers the kernel with a user's own Jupyter, as `tslab install` does. */
export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) { console.log(USAGE); return 0; }
  const opts = parse(args);
  if (typeof opts === "string") { console.error(`streamlab install: ${opts}\n${USAGE}`); return 2; }
  const isRoot = typeof process.geteuid === "function" && process.geteuid() === 0;
  const mode = opts.sysPrefix ? "sys-prefix" : opts.prefix !== undefined ? "prefix" : opts.user || !isRoot ? "user" : "system";
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kernelspec-"));
  try {
    const specDir = path.join(tmp, KERNEL_NAME);
    fs.mkdirSync(specDir);
    fs.writeFileSync(path.join(specDir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
    const r = spawnSync(opts.python, ["-c", PY_INSTALL, specDir, KERNEL_NAME, mode, opts.prefix ?? ""], { stdio: "inherit" });
    if (r.error) { console.error(`streamlab install: cannot run ${opts.python} (${r.error.message}); pass --python /path/to/python`); return 1; }
    return r.status ?? 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
