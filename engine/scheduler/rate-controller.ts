import type { SparkConf } from "../conf";
import { Errors } from "../errors/messages";
import type { BatchInfo } from "./batch-info";
import type { StreamingListener } from "./listener";

/**
 * Backpressure (`spark.streaming.backpressure.enabled`): after every batch, a RateController
 * estimates how many records per second its input stream can take and hands the new rate to the
 * stream's receiver, whose rate limiter then slows `store(record)`, so an overloaded stream slows
 * its source instead of buffering without bound. Spark's RateController, RateEstimator and
 * PIDRateEstimator, with the same defaults and formulas.
 */

/** Estimates a stream's sustainable rate from the last batch (Spark's RateEstimator). */
export interface RateEstimator {
  /**
   * @param time when the batch finished processing (ms)
   * @param elements records the stream contributed to the batch
   * @param processingDelay ms the batch's jobs took
   * @param schedulingDelay ms the batch waited in the queue
   * @returns the new rate in records per second, or undefined to keep the current one
   */
  compute(time: number, elements: number, processingDelay: number, schedulingDelay: number): number | undefined;
}

/** True when `spark.streaming.backpressure.enabled` is set. */
export function isBackPressureEnabled(conf: SparkConf): boolean {
  return conf.getBoolean("spark.streaming.backpressure.enabled", false);
}

/** Spark's RateEstimator.create: `spark.streaming.backpressure.rateEstimator` must be "pid". */
export function createRateEstimator(conf: SparkConf, batchIntervalMs: number): RateEstimator {
  const name = conf.get("spark.streaming.backpressure.rateEstimator") ?? "pid";
  if (name !== "pid") throw Errors.unknownRateEstimator(name);
  return new PIDRateEstimator(
    batchIntervalMs,
    conf.getNumber("spark.streaming.backpressure.pid.proportional", 1.0),
    conf.getNumber("spark.streaming.backpressure.pid.integral", 0.2),
    conf.getNumber("spark.streaming.backpressure.pid.derived", 0.0),
    conf.getNumber("spark.streaming.backpressure.pid.minRate", 100),
  );
}

/**
 * Spark's PIDRateEstimator: the error is the last rate minus the rate the last batch was processed
 * at; the integral term is the backlog (scheduling delay times processing rate, per batch
 * interval); the result never drops below `minRate`. The first batch only measures.
 */
export class PIDRateEstimator implements RateEstimator {
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;

  constructor(
    readonly batchIntervalMs: number,
    readonly proportional = 1.0,
    readonly integral = 0.2,
    readonly derivative = 0.0,
    readonly minRate = 100,
  ) {
    if (!(batchIntervalMs > 0)) throw Errors.badPidParameter(`Specified batch interval ${batchIntervalMs} in PIDRateEstimator is invalid.`, "the batch interval");
    if (!(proportional >= 0)) throw Errors.badPidParameter(`Proportional term ${proportional} in PIDRateEstimator should be >= 0.`, "spark.streaming.backpressure.pid.proportional");
    if (!(integral >= 0)) throw Errors.badPidParameter(`Integral term ${integral} in PIDRateEstimator should be >= 0.`, "spark.streaming.backpressure.pid.integral");
    if (!(derivative >= 0)) throw Errors.badPidParameter(`Derivative term ${derivative} in PIDRateEstimator should be >= 0.`, "spark.streaming.backpressure.pid.derived");
    if (!(minRate > 0)) throw Errors.badPidParameter("Minimum rate in PIDRateEstimator should be > 0", "spark.streaming.backpressure.pid.minRate");
  }

  compute(time: number, elements: number, processingDelay: number, schedulingDelay: number): number | undefined {
    if (!(time > this.latestTime && elements > 0 && processingDelay > 0)) return undefined;
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    const processingRate = (elements / processingDelay) * 1000;
    const error = this.latestRate - processingRate;
    const historicalError = (schedulingDelay * processingRate) / this.batchIntervalMs;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(this.minRate, this.latestRate - this.proportional * error - this.integral * historicalError - this.derivative * dError);
    this.latestTime = time;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}

/**
 * Spark's RateController for one input stream: a listener that, after each completed batch, feeds
 * the stream's record count and the batch's delays to the estimator and publishes a new rate.
 * Spark computes on a separate thread; here it is a few arithmetic operations, done in the event.
 */
export class RateController implements StreamingListener {
  private latestRate = -1;

  /**
   * @param streamId the input stream whose records are counted
   * @param publish receives each new rate in records per second (Spark: sent to the receiver)
   */
  constructor(readonly streamId: number, private readonly estimator: RateEstimator, private readonly publish: (rate: number) => void) {}

  /** The last rate published, or -1 before the first (Spark's getLatestRate). */
  getLatestRate(): number { return this.latestRate; }

  onBatchCompleted({ batchInfo }: { batchInfo: BatchInfo }): void {
    const elements = batchInfo.streamIdToInputInfo.get(this.streamId)?.numRecords;
    const { processingEndTime, processingDelay, schedulingDelay } = batchInfo;
    if (elements === undefined || processingEndTime === undefined || processingDelay === undefined || schedulingDelay === undefined) return;
    const rate = this.estimator.compute(processingEndTime, elements, processingDelay, schedulingDelay);
    if (rate === undefined) return;
    // Spark's receivers take a whole number of records per second.
    this.latestRate = Math.trunc(rate);
    this.publish(this.latestRate);
  }
}
