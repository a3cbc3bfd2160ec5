import { Durations, ManualClock, StreamingContext } from "../../engine";
import { printedWhileRunning } from "../helpers/capture";

describe("lecture word count on a queue", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("prints Spark's format with Spark's pair order", async () => {
    const clock = new ManualClock(1513517144000);
    const ssc = new StreamingContext({ appName: "WordCountStreaming", master: "local[2]", batchDuration: Durations.seconds(1), clock });
    const queue: string[][] = [["hello world hello", "bye bye"], [], ["hello again"]];
    const lines = ssc.queueStream(queue);
    const words = lines.flatMap((s) => s.split(" "));
    words.mapToPair((s) => [s, 1]).reduceByKey((a, b) => a + b).print();
    const printed = await printedWhileRunning(ssc, clock, 3000);
    expect(printed).toBe([
      "-------------------------------------------",
      "Time: 1513517145000 ms",
      "-------------------------------------------",
      "(hello,2)",
      "(bye,2)",
      "(world,1)",
      "",
      "-------------------------------------------",
      "Time: 1513517146000 ms",
      "-------------------------------------------",
      "",
      "-------------------------------------------",
      "Time: 1513517147000 ms",
      "-------------------------------------------",
      "(hello,1)",
      "(again,1)",
      "",
      "",
    ].join("\n"));
  });
});
