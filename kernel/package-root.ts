import * as fs from "fs";
import * as path from "path";

let cached: string | undefined;

/**
 * The directory of the streamlab package this code runs from (the one holding its package.json),
 * whether it runs built (dist/kernel) or from source (kernel/ under ts-jest).
 */
export function packageRoot(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "streamlab") return (cached = dir);
    if (path.dirname(dir) === dir) throw new Error(`streamlab: cannot find the streamlab package.json above ${__dirname}`);
  }
}
