import { BatchInfo, ManualClock, Receiver, setLogger, StreamingContext } from "../../engine";
import type { ReceiverInputDStream } from "../../engine";
import { SparkConf } from "../../engine/conf";
import { createRateEstimator, PIDRateEstimator, RateController } from "../../engine/scheduler/rate-controller";

/*
 * Backpressure (spark.streaming.backpressure.enabled): Spark's PIDRateEstimator formulas and
 * argument checks (PIDRateEstimatorSuite / RateControllerSuite), the RateController listener, and
 * the receiver hook: a published rate becomes store(record)'s limit, capped by receiver.maxRate.
 */

class IdleReceiver extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
}

let previousLogger: ReturnType<typeof setLogger>;
beforeEach(() => { previousLogger = setLogger({ warn: () => {}, info: () => {} }); });
afterEach(async () => {
  await StreamingContext.stopActive();
  setLogger(previousLogger);
});

describe("PIDRateEstimator", () => {
  it("is what spark.streaming.backpressure.rateEstimator=pid creates, with Spark's default gains", () => {
    const e = createRateEstimator(new SparkConf({}), 1000) as PIDRateEstimator;
    expect(e).toBeInstanceOf(PIDRateEstimator);
    expect([e.batchIntervalMs, e.proportional, e.integral, e.derivative, e.minRate]).toEqual([1000, 1.0, 0.2, 0.0, 100]);
    const custom = createRateEstimator(new SparkConf({
      "spark.streaming.backpressure.pid.proportional": 0.5, "spark.streaming.backpressure.pid.integral": 0.1,
      "spark.streaming.backpressure.pid.derived": 0.3, "spark.streaming.backpressure.pid.minRate": 7,
    }), 2000) as PIDRateEstimator;
    expect([custom.batchIntervalMs, custom.proportional, custom.integral, custom.derivative, custom.minRate]).toEqual([2000, 0.5, 0.1, 0.3, 7]);
  });

  it("refuses an unknown estimator with Spark's message", () => {
    expect(() => createRateEstimator(new SparkConf({ "spark.streaming.backpressure.rateEstimator": "foo" }), 1000)).toThrow(expect.objectContaining({
      name: "RangeError",
      code: "STREAM_ERR_UNKNOWN_RATE_ESTIMATOR",
      message: 'Unknown rate estimator: foo. spark.streaming.backpressure.rateEstimator must be "pid" (the only estimator); remove the setting or set it to "pid".',
    }));
  });

  it.each([
    [[0, 1, 0.2, 0, 100], "Specified batch interval 0 in PIDRateEstimator is invalid. Fix the batch interval"],
    [[1000, -1, 0.2, 0, 100], "Proportional term -1 in PIDRateEstimator should be >= 0. Fix spark.streaming.backpressure.pid.proportional"],
    [[1000, 1, -0.2, 0, 100], "Integral term -0.2 in PIDRateEstimator should be >= 0. Fix spark.streaming.backpressure.pid.integral"],
    [[1000, 1, 0.2, -3, 100], "Derivative term -3 in PIDRateEstimator should be >= 0. Fix spark.streaming.backpressure.pid.derived"],
    [[1000, 1, 0.2, 0, 0], "Minimum rate in PIDRateEstimator should be > 0 Fix spark.streaming.backpressure.pid.minRate"],
  ])("checks its arguments: %j", (args, message) => {
    expect(() => new PIDRateEstimator(...(args as [number, number, number, number, number]))).toThrow(expect.objectContaining({
      name: "RangeError",
      code: "STREAM_ERR_BAD_PID_PARAMETER",
      message: `requirement failed: ${message} (defaults: proportional 1.0, integral 0.2, derived 0.0, minRate 100).`,
    }));
  });

  it("measures on the first batch, then applies the PID formula, never below minRate", () => {
    const e = new PIDRateEstimator(1000, 1.0, 0.2, 0.0, 100);
    // first run: only records latestRate = 1000 / 500 ms = 2000/s
    expect(e.compute(1000, 1000, 500, 0)).toBeUndefined();
    // processingRate 1000/s, error 2000-1000 = 1000, historical 500*1000/1000 = 500: 2000 - 1000 - 0.2*500 = 900
    expect(e.compute(2000, 1000, 1000, 500)).toBe(900);
    // processingRate 100/s, error 800, historical 5000*100/1000 = 500: 900 - 800 - 100 = 0, so minRate
    expect(e.compute(3000, 100, 1000, 5000)).toBe(100);
  });

  it("uses the derivative term over the time since the last update", () => {
    const e = new PIDRateEstimator(1000, 1.0, 0.0, 0.5, 1);
    e.compute(1000, 1000, 500, 0); // latestRate 2000, latestError 0
    // processingRate 1000, error 1000, dError (1000 - 0) / 2 s = 500: 2000 - 1000 - 0.5*500 = 750
    expect(e.compute(3000, 1000, 1000, 0)).toBe(750);
  });

  it("gives no estimate without new time, records or processing delay", () => {
    const e = new PIDRateEstimator(1000);
    expect(e.compute(1000, 10, 10, 0)).toBeUndefined();
    expect(e.compute(2000, 10, 10, 0)).toBeDefined();
    expect(e.compute(2000, 10, 10, 0)).toBeUndefined(); // same time
    expect(e.compute(3000, 0, 10, 0)).toBeUndefined(); // no records
    expect(e.compute(4000, 10, 0, 0)).toBeUndefined(); // no processing delay
    expect(e.compute(5000, 10, 10, 0)).toBeDefined();
  });
});

describe("RateController", () => {
  const batch = (streamId: number, numRecords: number, submitted: number, started: number, ended: number) =>
    new BatchInfo(ended, new Map([[streamId, { inputStreamId: streamId, numRecords, metadata: {} }]]), submitted, started, ended, new Map());

  it("feeds its stream's records and the batch's delays to the estimator and publishes whole records per second", () => {
    const published: number[] = [];
    const rc = new RateController(3, new PIDRateEstimator(1000), (r) => published.push(r));
    expect(rc.getLatestRate()).toBe(-1);
    rc.onBatchCompleted({ batchInfo: batch(3, 1000, 1000, 1000, 1500) });
    expect(published).toEqual([]);
    rc.onBatchCompleted({ batchInfo: batch(3, 1000, 2000, 2500, 3500) }); // processing 1000 ms, scheduling 500 ms
    expect(published).toEqual([900]);
    rc.onBatchCompleted({ batchInfo: batch(9, 1000, 4000, 4000, 4700) }); // another stream's batch: ignored
    expect(published).toEqual([900]);
    expect(rc.getLatestRate()).toBe(900);
  });
});

describe("backpressure on a receiver", () => {
  function setup(conf: Record<string, string | number | boolean>) {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "backpressure", master: "local[2]", batchDuration: 1000, clock, conf });
    const receiver = new IdleReceiver();
    const stream = ssc.receiverStream(receiver) as ReceiverInputDStream<string>;
    const counts: number[] = [];
    stream.count().foreachRDD((rdd) => { counts.push(rdd.collect()[0]); });
    return { clock, ssc, receiver, stream, counts };
  }

  it("is off by default: no rate controller, no limit", () => {
    const { stream } = setup({});
    expect(stream.supervisor.rateController).toBeUndefined();
    expect(stream.supervisor.blockGenerator.rateLimit).toBe(Infinity);
  });

  it("starts at backpressure.initialRate and takes each published rate, capped by receiver.maxRate", async () => {
    const { clock, ssc, receiver, stream, counts } = setup({
      "spark.streaming.backpressure.enabled": true, "spark.streaming.backpressure.initialRate": 20, "spark.streaming.receiver.maxRate": 1000,
    });
    const supervisor = stream.supervisor;
    expect(supervisor.rateController).toBeInstanceOf(RateController);
    expect(supervisor.blockGenerator.rateLimit).toBe(20);
    ssc.start();
    supervisor.updateRateLimit(5);
    expect(supervisor.blockGenerator.rateLimit).toBe(5);
    for (let i = 0; i < 10; i++) receiver.store(`r${i}`);
    await clock.advance(3000);
    // 5 records per second: one permit every 200 ms from 0 ms, so the 10 records take two seconds and
    // reach three batches (as the block generator's maxRate test shows, a block lags its permit)
    expect(counts).toEqual([4, 5, 1]);
    supervisor.updateRateLimit(1_000_000);
    expect(supervisor.blockGenerator.rateLimit).toBe(1000);
  });

  it("fails when the stream is created with an unknown estimator", () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "bp", master: "local[2]", batchDuration: 1000, clock, conf: {
      "spark.streaming.backpressure.enabled": true, "spark.streaming.backpressure.rateEstimator": "pi",
    } });
    expect(() => ssc.receiverStream(new IdleReceiver())).toThrow(expect.objectContaining({ code: "STREAM_ERR_UNKNOWN_RATE_ESTIMATOR" }));
  });
});
