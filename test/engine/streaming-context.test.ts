import { BatchInfo, Durations, ManualClock, SparkConf, StreamingContext, StreamingListener, TestInputStream, setLogger } from "../../engine";

afterEach(async () => { await StreamingContext.stopActive(); });

function quietLogger() {
  const warns: string[] = [];
  const prev = setLogger({ warn: (m) => warns.push(m), info: () => {} });
  return { warns, restore: () => setLogger(prev) };
}

describe("construction", () => {
  it("accepts the options form, the Java SparkConf form and the Scala form", () => {
    const a = new StreamingContext({ appName: "A", master: "local[3]", batchDuration: Durations.seconds(2), clock: new ManualClock() });
    expect([a.appName, a.master, a.batchDuration, a.defaultParallelism]).toEqual(["A", "local[3]", 2000, 3]);
    const b = new StreamingContext(new SparkConf().setAppName("WordCountStreaming").setMaster("local[2]"), Durations.seconds(1));
    expect([b.appName, b.master, b.batchDuration, b.defaultParallelism]).toEqual(["WordCountStreaming", "local[2]", 1000, 2]);
    const c = new StreamingContext("local[4]", "S", 500);
    expect([c.appName, c.batchDuration, c.defaultParallelism, c.getState()]).toEqual(["S", 500, 4, "INITIALIZED"]);
  });

  it("spark.default.parallelism overrides local[N]", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, conf: { "spark.default.parallelism": 5 } });
    expect(ssc.defaultParallelism).toBe(5);
  });

  it("rejects bad durations and masters with coded errors", () => {
    expect(() => new StreamingContext({ batchDuration: 0 })).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_DURATION", name: "RangeError" }));
    expect(() => new StreamingContext({ batchDuration: "1s" as never })).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_DURATION", name: "TypeError", message: 'batchDuration must be a Duration (Durations.seconds(1)) or a number of milliseconds, got "1s".' }));
    expect(() => new StreamingContext({ batchDuration: 1000, master: "yarn" })).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_MASTER", message: 'Unsupported master "yarn". Use "local", "local[N]" with N >= 1, or "local[*]".' }));
  });

  it("warns for local[1] as Spark does", () => {
    const log = quietLogger();
    try {
      new StreamingContext({ batchDuration: 1000, master: "local" });
    } finally {
      log.restore();
    }
    expect(log.warns[0]).toContain("spark.master should be set as local[n], n > 1 in local mode if you have receivers to get data");
  });
});

describe("life cycle", () => {
  it("refuses to start without output operations", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    new TestInputStream(ssc, [[1]]);
    expect(() => ssc.start()).toThrow(expect.objectContaining({ code: "STREAM_ERR_NO_OUTPUT", message: expect.stringMatching(/^requirement failed: No output operations registered, so nothing to execute/) }));
    expect(ssc.getState()).toBe("STOPPED");
  });

  it("INITIALIZED -> ACTIVE -> STOPPED, and a stopped context cannot restart", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    new TestInputStream(ssc, [[1]]).foreachRDD(() => {});
    ssc.start();
    expect(ssc.getState()).toBe("ACTIVE");
    expect(StreamingContext.getActive()).toBe(ssc);
    await ssc.stop();
    expect(ssc.getState()).toBe("STOPPED");
    expect(StreamingContext.getActive()).toBeUndefined();
    expect(() => ssc.start()).toThrow(expect.objectContaining({ code: "STREAM_ERR_CONTEXT_STOPPED", message: expect.stringMatching(/^StreamingContext has already been stopped/) }));
    await ssc.stop(); // idempotent
  });

  it("allows one active context and says where it was started", () => {
    const a = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    new TestInputStream(a, [[1]]).foreachRDD(() => {});
    a.start();
    const b = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    new TestInputStream(b, [[1]]).foreachRDD(() => {});
    let err: unknown;
    try { b.start(); } catch (e) { err = e; }
    expect(err).toMatchObject({ code: "STREAM_ERR_ANOTHER_CONTEXT_ACTIVE" });
    expect((err as Error).message).toMatch(/^Only one StreamingContext may be started in this process\. Currently running StreamingContext was started at\n.*streaming-context\.test\.ts/);
    expect((err as Error).message).toContain("StreamingContext.stopActive()");
    expect(StreamingContext.getActiveOrCreate(() => b)).toBe(a);
  });

  it("refuses new streams after start and after stop", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = new TestInputStream(ssc, [[1]]);
    s.foreachRDD(() => {});
    ssc.start();
    expect(() => s.map((x) => x)).toThrow(expect.objectContaining({ code: "STREAM_ERR_ADD_AFTER_START", message: expect.stringMatching(/^Adding new inputs, transformations, and output operations after starting a context is not supported/) }));
    expect(() => s.persist()).toThrow(expect.objectContaining({ code: "STREAM_ERR_CHANGE_AFTER_START" }));
    await ssc.stop();
    expect(() => s.map((x) => x)).toThrow(expect.objectContaining({ code: "STREAM_ERR_ADD_AFTER_STOP" }));
  });

  it("batches run at multiples of the batch interval after start", async () => {
    const clock = new ManualClock(10_500);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const times: number[] = [];
    new TestInputStream(ssc, [[1]]).foreachRDD((_r, t) => { times.push(t.milliseconds); });
    ssc.start();
    await clock.advance(3000);
    expect(times).toEqual([11_000, 12_000, 13_000]);
  });

  it("remember can be set once", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    ssc.remember(Durations.seconds(5));
    expect(() => ssc.remember(6000)).toThrow(expect.objectContaining({ code: "STREAM_ERR_REMEMBER_TWICE", message: "Remember duration already set as 5000 ms. Cannot set it again." }));
  });

  it("forgets batches older than the remember duration", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const input = new TestInputStream(ssc, [[1], [2], [3], [4], [5]]);
    input.foreachRDD(() => {});
    ssc.start();
    await clock.advance(5000);
    // remember = slide (1 s): after batch 5000 only batch 5000 is kept
    expect([...input.generatedRDDs.keys()]).toEqual([5000]);
  });

  it("a failing output operation rejects awaitTermination but the stream goes on", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: number[] = [];
    const input = new TestInputStream(ssc, [[1], [2], [3]]);
    input.foreachRDD((rdd) => { if (rdd.collect()[0] === 2) throw new Error("boom at 2"); seen.push(...rdd.collect()); });
    input.foreachRDD((rdd) => { seen.push(rdd.collect()[0] * 10); });
    const log = quietLogger();
    ssc.start();
    const result = ssc.awaitTermination().then(() => "stopped", (e: Error) => e.message);
    await clock.advance(3000);
    log.restore();
    expect(await result).toBe("boom at 2");
    expect(seen).toEqual([1, 10, 20, 3, 30]);
    expect(ssc.getState()).toBe("ACTIVE");
    await expect(ssc.awaitTerminationOrTimeout(10)).rejects.toThrow("boom at 2");
  });

  it("awaitTermination resolves on stop; awaitTerminationOrTimeout says whether it stopped", async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    new TestInputStream(ssc, [[1]]).foreachRDD(() => {});
    ssc.start();
    expect(await ssc.awaitTerminationOrTimeout(5)).toBe(false);
    const done = ssc.awaitTermination();
    await ssc.stop();
    await expect(done).resolves.toBeUndefined();
    expect(await ssc.awaitTerminationOrTimeout(5)).toBe(true);
  });
});

describe("listeners", () => {
  it("posts Spark's events with BatchInfo numbers", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const events: string[] = [];
    const completed: BatchInfo[] = [];
    const listener: StreamingListener = {
      onStreamingStarted: ({ time }) => events.push(`started@${time}`),
      onBatchSubmitted: ({ batchInfo }) => events.push(`submitted ${batchInfo.batchTime}`),
      onBatchStarted: ({ batchInfo }) => events.push(`batchStarted ${batchInfo.batchTime}`),
      onOutputOperationStarted: ({ outputOperationInfo: o }) => events.push(`opStarted ${o.batchTime} #${o.id} ${o.name}`),
      onOutputOperationCompleted: ({ outputOperationInfo: o }) => events.push(`opCompleted ${o.batchTime} #${o.id}${o.failureReason ? " failed" : ""}`),
      onBatchCompleted: ({ batchInfo }) => { events.push(`completed ${batchInfo.batchTime}`); completed.push(batchInfo); },
    };
    ssc.addStreamingListener(listener);
    const input = new TestInputStream<unknown>(ssc, [[1, 2, 3], ["x"]]);
    input.foreachRDD(() => {});
    input.map((x) => x).foreachRDD((rdd) => { if (rdd.count() === 1) throw new Error("fails"); });
    const log = quietLogger();
    ssc.start();
    ssc.awaitTermination().catch(() => {});
    await clock.advance(2000);
    log.restore();
    expect(events).toEqual([
      "started@0",
      "submitted 1000", "batchStarted 1000", "opStarted 1000 #0 foreachRDD", "opCompleted 1000 #0", "opStarted 1000 #1 foreachRDD", "opCompleted 1000 #1", "completed 1000",
      "submitted 2000", "batchStarted 2000", "opStarted 2000 #0 foreachRDD", "opCompleted 2000 #0", "opStarted 2000 #1 foreachRDD", "opCompleted 2000 #1 failed", "completed 2000",
    ]);
    expect(completed.map((b) => [b.batchTime, b.numRecords, b.schedulingDelay, b.processingDelay, b.totalDelay])).toEqual([[1000, 3, 0, 0, 0], [2000, 1, 0, 0, 0]]);
    expect(completed[1].outputOperationInfos.get(1)?.failureReason).toContain("Error: fails");
    ssc.removeStreamingListener(listener);
    await clock.advance(1000);
    expect(events.length).toBe(15);
  });

  it("refuses stop() inside a listener and survives a throwing listener", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    let refused: unknown;
    ssc.addStreamingListener({ onBatchCompleted: () => { try { void ssc.stop(); } catch (e) { refused = e; } throw new Error("listener bug"); } });
    const seen: number[] = [];
    new TestInputStream(ssc, [[1], [2]]).foreachRDD((r) => { seen.push(...r.collect()); });
    const errs: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => { errs.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      ssc.start();
      await clock.advance(2000);
    } finally {
      process.stderr.write = write;
    }
    expect(refused).toMatchObject({ code: "STREAM_ERR_STOP_IN_LISTENER", message: expect.stringMatching(/^Cannot stop StreamingContext within listener bus thread\./) });
    expect(seen).toEqual([1, 2]);
    expect(errs[0]).toContain("listener threw in onBatchCompleted: Error: listener bug");
  });
});

describe("graceful stop", () => {
  it("waits for the running batch and lets no new batch start", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: number[] = [];
    new TestInputStream(ssc, [[1], [2], [3]]).foreachRDD((r) => { seen.push(...r.collect()); });
    ssc.start();
    await clock.advance(1000);
    await ssc.stop({ stopGracefully: true });
    await clock.advance(2000);
    expect(seen).toEqual([1]);
  });
});
