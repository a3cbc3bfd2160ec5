import { execFileSync } from "child_process";
import * as path from "path";

const root = path.resolve(__dirname, "..");

describe("the streamlab package", () => {
  it("require(<repo root>) gives the built engine from plain Node", () => {
    const out = execFileSync(process.execPath, ["-e", `
      const s = require(${JSON.stringify(root)});
      const names = ["StreamingContext", "Durations", "ManualClock", "StateSpec", "Receiver", "SparkConf", "RDD", "Seconds"];
      console.log(names.map((n) => n + ":" + typeof s[n]).join(" "));
      console.log(String(s.Durations.seconds(2)));
    `], { encoding: "utf8" });
    expect(out).toBe("StreamingContext:function Durations:object ManualClock:function StateSpec:function Receiver:function SparkConf:function RDD:function Seconds:function\n2000 ms\n");
  });

  it("streamlab submit runs a TypeScript program with top-level await, --master and --conf", () => {
    const out = execFileSync(process.execPath, [path.join(root, "bin", "streamlab.js"), "submit", "--master", "local[3]", "--conf", "spark.app.name=FromSubmit", path.join(__dirname, "fixtures", "submit-app.ts"), "extra-arg"], { encoding: "utf8" });
    expect(out).toBe([
      "args: extra-arg",
      "master local[3] app FromSubmit parallelism 3",
      "-------------------------------------------",
      "Time: 2000 ms",
      "-------------------------------------------",
      "(b,1)",
      "(a,2)",
      "",
      "done",
      "",
    ].join("\n"));
  });
});
