import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as engine from "../../engine";
import { AppResult, BATCH_MS, buildApp } from "./crash-app";

const ROOT = path.resolve(__dirname, "..", "..");
const NUM_BATCHES = 100;
const KILLS = 20;

/** Transpiles the engine and the app to plain JS once (no type check), so each child starts fast. */
function transpileForChildren(out: string): string {
  const ts = require("typescript") as typeof import("typescript");
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
  for (const file of [...walk(path.join(ROOT, "engine")), path.join(__dirname, "crash-app.ts")]) {
    const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    const target = path.join(out, path.relative(ROOT, file)).replace(/\.ts$/, ".js");
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, js);
  }
  const launcher = path.join(out, "launch.js");
  fs.writeFileSync(launcher, `require("./test/checkpoint/crash-app.js").main(require("./engine/index.js"), process.argv.slice(2));\n`);
  return launcher;
}

/** The ground truth: the same program, uninterrupted, in virtual time. */
async function groundTruth(): Promise<AppResult> {
  const clock = new engine.ManualClock(0);
  const ssc = new engine.StreamingContext({ appName: "truth", master: "local[2]", batchDuration: BATCH_MS, clock });
  ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-truth-")));
  let result: AppResult | undefined;
  buildApp(engine, ssc, NUM_BATCHES, (time, r) => { if (time === NUM_BATCHES * BATCH_MS) result = JSON.parse(JSON.stringify(r)); });
  ssc.start();
  await clock.advance(NUM_BATCHES * BATCH_MS);
  await ssc.stop();
  return result as AppResult;
}

function waitExit(child: ChildProcess): Promise<number | string | null> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
}

describe("kill -9 harness", () => {
  it(`SIGKILLs a stateful app ${KILLS} times at random moments; the final state equals the ground truth`, async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kill-"));
    const launcher = transpileForChildren(path.join(work, "js"));
    const dir = path.join(work, "checkpoint");
    const resultFile = path.join(work, "result.json");
    const env = { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") };
    const run = () => spawn(process.execPath, [launcher, dir, resultFile, String(NUM_BATCHES)], { env, stdio: ["ignore", "ignore", "pipe"] });
    const stderr: string[] = [];
    let kills = 0;
    for (; kills < KILLS; kills++) {
      const child = run();
      child.stderr?.on("data", (d) => stderr.push(String(d)));
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 250)));
      child.kill("SIGKILL");
      expect(await waitExit(child)).toBe("SIGKILL");
      if (fs.existsSync(resultFile)) break;
    }
    const last = run();
    last.stderr?.on("data", (d) => stderr.push(String(d)));
    const deadline = setTimeout(() => last.kill("SIGKILL"), 30_000);
    const code = await waitExit(last);
    clearTimeout(deadline);
    expect([code, stderr.join("").split("\n").filter((l) => /Error|error/.test(l))]).toEqual([0, []]);
    const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as AppResult;
    const truth = await groundTruth();
    const counted = result.totals.reduce((a, [, n]) => a + n, 0);
    const recoveries = fs.readFileSync(path.join(work, "recovery-times"), "utf8").trim().split("\n").map(Number);
    process.stdout.write(`kill -9 harness: ${kills} kills, ${counted} words counted, restart-to-first-batch ms: median ${recoveries.sort((a, b) => a - b)[recoveries.length >> 1]}, max ${recoveries.at(-1)}\n`);
    expect(kills).toBe(KILLS);
    expect(result).toEqual(truth);
  });
});
