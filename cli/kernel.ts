import { installRuntime } from "../kernel/runtime";

/**
 * `streamlab kernel --config-path <connection file>`: the streamlab Jupyter kernel (what the
 * kernelspec runs). It is tslab's kernel with the streamlab runtime loaded first.
 */
export async function main(args: string[]): Promise<number | void> {
  const i = args.indexOf("--config-path");
  const configPath = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith("--config-path="))?.slice("--config-path=".length);
  if (!configPath) {
    console.error("usage: streamlab kernel --config-path <connection_file> (Jupyter runs this; see `streamlab install`)");
    return 2;
  }
  installRuntime();
  const tslab = require("tslab/dist/main.js") as {
    startKernel(o: { configPath: string; enableFindLocal: boolean; jsKernel: boolean }): void;
  };
  // enableFindLocal false: a notebook directory's own tslab must not replace the one our runtime hooked.
  tslab.startKernel({ configPath, enableFindLocal: false, jsKernel: false });
}
