import { InputDStream } from "../../dstream/input-dstream";
import { hasCode } from "../../errors/streaming-error";
import { log } from "../../log";
import { createRateEstimator, isBackPressureEnabled, RateController } from "../../scheduler/rate-controller";
import type { StreamingContext } from "../../streaming-context";
import { KafkaClient, RawRecord, TopicPartition, tpKey } from "./client";
import type { ConsumerRecord } from "./consumer-record";
import { KafkaErrors } from "./kafka-errors";
import { decodeHeaders, resolveParams, ResolvedParams } from "./kafka-params";
import { KafkaRDD } from "./kafka-rdd";
import { OffsetRange } from "./offset-range";
import { RangeJournal } from "./range-journal";
import type { ConsumerStrategy } from "./strategies";

/** Called when a commit finished: the committed offsets by `topic-partition`, or the error. */
export type OffsetCommitCallback = (offsets: Map<string, number>, error?: Error) => void;

/** Something that can commit offset ranges to Kafka (Spark's CanCommitOffsets). */
export interface CanCommitOffsets {
  /** Queues `offsetRanges` to be committed to the consumer group with the next batch. */
  commitAsync(offsetRanges: readonly OffsetRange[], callback?: OffsetCommitCallback): void;
}

/** What the direct stream checkpoints: each remembered and pending batch's ranges, and where the next batch starts. @internal */
export interface DirectKafkaCheckpoint {
  batches: [number, [string, number, number, number][]][];
  currentOffsets: [string, string, number, number][];
}

/**
 * Spark's DirectKafkaInputDStream (spark-streaming-kafka-0-10): no receiver. At each batch time it
 * asks Kafka for the latest offset of every partition and makes the batch the range from the
 * stream's current offset to that latest offset, bounded by `spark.streaming.kafka.maxRatePerPartition`
 * × batch seconds (at least `minRatePerPartition` × batch seconds, default 1 record/s) or, with
 * `spark.streaming.backpressure.enabled`, by the PID rate split over the partitions by their lag;
 * one batch partition per Kafka partition. The ranges of every remembered and pending batch go in
 * the checkpoint, so a recovered batch reads exactly the same records: exactly-once state without
 * a write-ahead log.
 *
 * Where streamlab differs: a batch's records are fetched before its jobs run (an RDD is computed
 * synchronously here), so fetching counts as scheduling delay, not processing time.
 */
export class DirectKafkaInputDStream<K = string, V = string> extends InputDStream<ConsumerRecord<K, V>> implements CanCommitOffsets {
  /** Each remembered and pending batch's offset ranges, by batch time. */
  readonly batchTimeToOffsetRanges = new Map<number, OffsetRange[]>();
  /** Where the next batch starts, by `topic-partition`; undefined until the first batch (or restore). */
  currentOffsets: Map<string, number> | undefined;
  /** Records dropped because a deserializer failed on them (with `"skip"`), since the stream started. */
  deserializationErrors = 0;
  private readonly params: ResolvedParams;
  private readonly partitionsByKey = new Map<string, TopicPartition>();
  /** Fetched records of batches not computed yet, by batch time. */
  private readonly fetched = new Map<number, RawRecord[][]>();
  private client: KafkaClient | undefined;
  private discoveredAt = -Infinity;
  /** The newest batch time restored from the checkpoint or the ranges journal. */
  private restoredUpTo = -Infinity;
  private initializing: Promise<void> | undefined;
  private readonly commitQueue: OffsetRange[] = [];
  private commitCallback: OffsetCommitCallback | undefined;
  private rateController: RateController | undefined;
  private journal: RangeJournal | undefined;
  private readonly maxRatePerPartition: number;
  private readonly minRatePerPartition: number;
  private readonly initialRate: number;

  /** @internal use KafkaUtils.createDirectStream */
  constructor(ssc: StreamingContext, readonly strategy: ConsumerStrategy) {
    super(ssc);
    this.params = resolveParams(strategy.kafkaParams, ssc.conf);
    this.maxRatePerPartition = ssc.conf.getNumber("spark.streaming.kafka.maxRatePerPartition", 0);
    this.minRatePerPartition = ssc.conf.getNumber("spark.streaming.kafka.minRatePerPartition", 1);
    this.initialRate = ssc.conf.getNumber("spark.streaming.backpressure.initialRate", 0);
    const what = strategy.kind === "SubscribePattern" ? String(strategy.pattern) : strategy.kind === "Assign" ? (strategy.partitions ?? []).map((p) => tpKey(p.topic, p.partition)).join(",") : (strategy.topics ?? []).join(",");
    this.name = `Kafka 0.10 direct stream [${this.id}] ${what}`;
    if (strategy.kind === "Assign") for (const tp of strategy.partitions ?? []) this.partitionsByKey.set(tpKey(tp.topic, tp.partition), tp);
  }

  /** @internal */
  override get preparesBatches(): boolean { return true; }

  override start(): void {
    if (isBackPressureEnabled(this.ssc.conf)) {
      this.rateController = new RateController(this.id, createRateEstimator(this.ssc.conf, this.ssc.batchDuration), () => {});
      this.ssc.listenerBus.add(this.rateController);
    }
    // Spark fixes the starting offsets at start(): with "latest", records written after start()
    // and before the first batch belong to the first batch.
    if (!this.currentOffsets) this.initializing = this.findStartingOffsets().catch((e) => { this.initializing = undefined; throw e; });
    this.initializing?.catch(() => undefined);
  }

  override async stop(): Promise<void> {
    if (this.rateController) this.ssc.listenerBus.remove(this.rateController);
    await this.client?.close();
    this.client = undefined;
  }

  /** @internal */
  override prepareBatch(time: number): Promise<void> | undefined {
    if (this.generatedRDDs.has(time) || this.fetched.has(time)) return undefined;
    return this.prepare(time);
  }

  /**
   * Queues `offsetRanges` for a commit to the consumer group (kafkaParams' `group.id`), sent with
   * the next batch, as Spark does: commits lag a batch and are at-least-once. The callback gets the
   * committed offsets or the error.
   *
   * @example
   * stream.foreachRDD((rdd) => {
   *   const ranges = offsetRangesOf(rdd);
   *   rdd.foreach((r) => save(r));
   *   stream.commitAsync(ranges);
   * });
   */
  commitAsync(offsetRanges: readonly OffsetRange[], callback?: OffsetCommitCallback): void {
    if (this.params.groupId === undefined) throw KafkaErrors.missingParam("group.id", `{ "group.id": "my-app" } to commit offsets to a consumer group`);
    // As Spark: only the most recently given callback is called, once per commit.
    this.commitCallback = callback;
    this.commitQueue.push(...offsetRanges);
  }

  protected compute(time: number): KafkaRDD<K, V> {
    const ranges = this.batchTimeToOffsetRanges.get(time);
    const raw = this.fetched.get(time);
    if (!ranges || !raw) {
      log().warn(`DirectKafkaInputDStream: no offset ranges for time ${time} ms (not generated by this stream); the batch is empty`);
      return new KafkaRDD<K, V>([], [], this.ssc.rddContext);
    }
    this.fetched.delete(time);
    let failed = 0;
    let first: { topic: string; partition: number; offset: bigint; error: string; which: "key" | "value" } | undefined;
    const partitions = ranges.map((range, i) => {
      const out: ConsumerRecord<K, V>[] = [];
      for (const r of raw[i]) {
        const meta = { topic: range.topic, partition: range.partition, offset: r.offset };
        let which: "key" | "value" = "key";
        try {
          const key = this.params.keyDeserializer(r.key, meta) as K | null;
          which = "value";
          const value = this.params.valueDeserializer(r.value, meta) as V | null;
          out.push({ topic: range.topic, partition: range.partition, offset: r.offset, timestamp: r.timestamp, timestampType: r.logAppendTime ? "LogAppendTime" : "CreateTime", key, value, headers: decodeHeaders(r.headers) });
        } catch (e) {
          failed++;
          first ??= { ...meta, offset: BigInt(r.offset), error: (e as Error)?.message ?? String(e), which };
        }
      }
      return out;
    });
    const total = raw.reduce((n, p) => n + p.length, 0);
    if (first) {
      const err = KafkaErrors.deserializer(first.which, failed, total, first);
      if (!this.params.skipBadRecords) throw err;
      this.deserializationErrors += failed;
      log().warn(`DirectKafkaInputDStream: ${err.code}: ${failed} record(s) of batch ${time} ms dropped (${this.deserializationErrors} since start): ${err.message}`);
    }
    const rdd = new KafkaRDD<K, V>(ranges, partitions, this.ssc.rddContext);
    // Spark's description: the non-empty ranges, largest first.
    const description = ranges.filter((r) => r.count() > 0).sort((a, b) => b.count() - a.count())
      .map((r) => `topic: ${r.topic}\tpartition: ${r.partition}\toffsets: ${r.fromOffset} to ${r.untilOffset}\tcount: ${r.count()}`).join("\n");
    this.reportInput(time, rdd, { offsets: ranges.map((r) => r.toString()), Description: description, deserializationErrors: failed }, total - failed);
    return rdd;
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const limit = time - (this.rememberDuration ?? 0);
    for (const t of [...this.batchTimeToOffsetRanges.keys()]) if (t < limit) this.batchTimeToOffsetRanges.delete(t);
    for (const t of [...this.fetched.keys()]) if (t < limit) this.fetched.delete(t);
  }

  override checkpointState(_time: number): DirectKafkaCheckpoint {
    this.journal?.compact(this.batchTimeToOffsetRanges);
    return {
      batches: [...this.batchTimeToOffsetRanges].map(([t, ranges]) => [t, ranges.map((r) => [r.topic, r.partition, r.fromOffset, r.untilOffset] as [string, number, number, number])]),
      currentOffsets: [...(this.currentOffsets ?? new Map())].map(([key, offset]) => {
        const tp = this.partitionsByKey.get(key) as TopicPartition;
        return [key, tp.topic, tp.partition, offset];
      }),
    };
  }

  /**
   * Puts back the checkpoint's ranges, then those of batches generated after it (the ranges
   * journal, written before a batch's jobs run): every such batch is recomputed from exactly its
   * ranges, and the stream goes on from the newest until-offset.
   */
  override restoreState(state: unknown, time: number): void {
    const s = state as DirectKafkaCheckpoint;
    const batches = new Map<number, OffsetRange[]>(s.batches.map(([t, rs]) => [t, rs.map(([topic, p, from, until]) => new OffsetRange(topic, p, from, until))]));
    const current = new Map<string, number>();
    for (const [key, topic, partition, offset] of s.currentOffsets) {
      this.partitionsByKey.set(key, { topic, partition });
      current.set(key, offset);
    }
    for (const [t, ranges] of this.rangeJournal()?.read() ?? []) if (t > time && !batches.has(t)) batches.set(t, ranges);
    for (const t of [...batches.keys()].sort((a, b) => a - b)) {
      const ranges = batches.get(t) as OffsetRange[];
      this.batchTimeToOffsetRanges.set(t, ranges);
      log().info(`DirectKafkaInputDStream: Restoring KafkaRDD for time ${t} ms [${ranges.map((r) => r.toString()).join(", ")}]`);
      for (const r of ranges) {
        const key = tpKey(r.topic, r.partition);
        this.partitionsByKey.set(key, { topic: r.topic, partition: r.partition });
        if ((current.get(key) ?? -1) < r.untilOffset) current.set(key, r.untilOffset);
      }
    }
    this.currentOffsets = current;
    this.restoredUpTo = Math.max(-Infinity, ...batches.keys());
  }

  private kafka(): KafkaClient {
    return (this.client ??= new KafkaClient(this.params.client));
  }

  private rangeJournal(): RangeJournal | undefined {
    const dir = this.ssc.checkpointDir;
    return dir ? (this.journal ??= new RangeJournal(dir, this.id)) : undefined;
  }

  /** Fetches what batch `time` needs: recovered batches' ranges first, then a new batch's. */
  private async prepare(time: number): Promise<void> {
    for (const [t, ranges] of this.batchTimeToOffsetRanges) {
      if (t <= time && !this.generatedRDDs.has(t) && !this.fetched.has(t)) this.fetched.set(t, await this.fetchAll(ranges).catch((e) => { throw this.recoveredRangeError(e, ranges); }));
    }
    if (this.fetched.has(time)) return;
    if (time < this.restoredUpTo) {
      // A time before the newest restored batch that has no ranges was skipped before the crash
      // (its preparation failed): its records went to later batches, which are restored with
      // their ranges. Reading from the current offsets here would take records of batches after
      // them under an earlier time, which an exactly-once sink has already committed past.
      const current = this.currentOffsets ?? new Map<string, number>();
      const empty = [...current.keys()].sort(byTopicPartition(this.partitionsByKey)).map((key) => {
        const tp = this.partitionsByKey.get(key) as TopicPartition;
        return new OffsetRange(tp.topic, tp.partition, current.get(key) as number, current.get(key) as number);
      });
      this.rangeJournal()?.append(time, empty);
      this.batchTimeToOffsetRanges.set(time, empty);
      this.fetched.set(time, empty.map(() => []));
      return;
    }
    if (!this.currentOffsets) await (this.initializing ??= this.findStartingOffsets().catch((e) => { this.initializing = undefined; throw e; }));
    const current = this.currentOffsets as Map<string, number>;
    await this.discoverPartitions(current);
    const tps = [...current.keys()].map((k) => this.partitionsByKey.get(k) as TopicPartition);
    const [earliest, latest] = await Promise.all([
      this.kafka().listOffsets(tps, "earliest", false),
      this.kafka().listOffsets(tps, "latest", this.params.readCommitted),
    ]);
    const from = new Map(current);
    for (const [key, offset] of from) {
      const lo = earliest.get(key) ?? 0;
      const hi = latest.get(key) ?? offset;
      if (offset >= lo && offset <= hi) continue;
      from.set(key, this.outOfRange(key, offset, lo, hi));
    }
    const until = this.clamp(from, latest);
    const ranges = [...from.keys()].sort(byTopicPartition(this.partitionsByKey)).map((key) => {
      const tp = this.partitionsByKey.get(key) as TopicPartition;
      return new OffsetRange(tp.topic, tp.partition, from.get(key) as number, until.get(key) as number);
    });
    const records = await this.fetchAll(ranges);
    // Only now is the batch decided: a failure above leaves the current offsets where they were,
    // so the next batch reads from there (nothing lost, nothing twice).
    this.rangeJournal()?.append(time, ranges);
    this.batchTimeToOffsetRanges.set(time, ranges);
    this.fetched.set(time, records);
    this.currentOffsets = until;
    await this.commitAll();
  }

  /** A recovered batch's range that retention removed since: say so rather than "out of range". */
  private recoveredRangeError(e: unknown, ranges: OffsetRange[]): unknown {
    if (!hasCode(e, "STREAM_ERR_KAFKA_OFFSET_OUT_OF_RANGE")) return e;
    const m = /partition holds offsets (\d+)/.exec((e as Error).message);
    const gone = ranges.find((r) => (e as Error).message.includes(`{${r.topic}-${r.partition}=`)) ?? ranges[0];
    return KafkaErrors.rangeUnavailable(gone.topic, gone.partition, gone.fromOffset, gone.untilOffset, m ? Number(m[1]) : NaN);
  }

  /** Starting offsets: the strategy's, else the group's committed offsets, else auto.offset.reset. */
  private async findStartingOffsets(): Promise<void> {
    const current = new Map<string, number>();
    await this.discoverPartitions(current);
    // A checkpoint restored meanwhile (getOrCreate restores after start()) decides instead.
    this.currentOffsets ??= current;
  }

  /** Adds the partitions the strategy reads now and has no offset for yet (new topics or partitions). */
  private async discoverPartitions(current: Map<string, number>): Promise<void> {
    // Kafka's consumer notices new topics and partitions when its metadata refreshes
    // (metadata.max.age.ms); here at most every `metadata.max.age.ms` of wall time (default 5 s).
    const maxAge = Number(this.strategy.kafkaParams["metadata.max.age.ms"] ?? 5000);
    if (current.size > 0 && Date.now() - this.discoveredAt < maxAge) return;
    await this.discoverNow(current);
    this.discoveredAt = Date.now();
  }

  private async discoverNow(current: Map<string, number>): Promise<void> {
    const strategy = this.strategy;
    let tps: TopicPartition[];
    if (strategy.kind === "Assign") {
      tps = [...(strategy.partitions ?? [])];
      if (current.size === tps.length) return;
      const counts = await this.kafka().partitionCounts([...new Set(tps.map((t) => t.topic))]);
      const missing = tps.filter((tp) => tp.partition >= (counts.get(tp.topic) ?? 0));
      if (missing.length > 0) throw KafkaErrors.unknownTopic(missing.map((tp) => tpKey(tp.topic, tp.partition)), this.kafka().servers, [...counts].map(([t, n]) => `${t} (${n} partitions)`));
    } else {
      const topics = strategy.kind === "Subscribe" ? [...(strategy.topics ?? [])] : (await this.kafka().listTopics()).filter((t) => (strategy.pattern as RegExp).test(t) && !t.startsWith("__"));
      const counts = await this.kafka().partitionCounts(topics);
      tps = [...counts].flatMap(([topic, n]) => Array.from({ length: n }, (_, partition) => ({ topic, partition })));
    }
    const added = tps.filter((tp) => !current.has(tpKey(tp.topic, tp.partition)));
    if (added.length === 0) return;
    const rest = added.filter((tp) => !this.strategy.offsets.has(tpKey(tp.topic, tp.partition)));
    const committed = this.params.groupId !== undefined ? await this.kafka().committed(this.params.groupId, rest) : new Map<string, number>();
    const [earliest, latest] = await Promise.all([
      this.kafka().listOffsets(added, "earliest", false),
      this.kafka().listOffsets(added, "latest", this.params.readCommitted),
    ]);
    for (const tp of added) {
      const key = tpKey(tp.topic, tp.partition);
      this.partitionsByKey.set(key, tp);
      const lo = earliest.get(key) ?? 0;
      const hi = latest.get(key) ?? 0;
      const start = this.strategy.offsets.get(key) ?? committed.get(key);
      if (start === undefined) {
        if (this.params.autoOffsetReset === "none") throw KafkaErrors.offsetOutOfRange(tp.topic, tp.partition, -1, lo, hi);
        current.set(key, this.params.autoOffsetReset === "earliest" ? lo : hi);
      } else {
        current.set(key, start >= lo && start <= hi ? start : this.outOfRange(key, start, lo, hi));
      }
    }
  }

  /** Kafka's auto.offset.reset for an offset outside [earliest, latest]; "none": Spark's error. */
  private outOfRange(key: string, offset: number, earliest: number, latest: number): number {
    const tp = this.partitionsByKey.get(key) as TopicPartition;
    if (this.params.autoOffsetReset === "none") throw KafkaErrors.offsetOutOfRange(tp.topic, tp.partition, offset, earliest, latest);
    const to = this.params.autoOffsetReset === "earliest" ? earliest : latest;
    log().warn(`DirectKafkaInputDStream: offset ${offset} of ${key} is out of range [${earliest}, ${latest}]; resetting to ${to} (auto.offset.reset=${this.params.autoOffsetReset})`);
    return to;
  }

  /** Spark's clamp: until = min(from + maxMessagesPerPartition, latest). */
  private clamp(from: Map<string, number>, latest: Map<string, number>): Map<string, number> {
    const leader = new Map([...from.keys()].map((k) => [k, Math.max(latest.get(k) ?? (from.get(k) as number), from.get(k) as number)]));
    const max = this.maxMessagesPerPartition(from, leader);
    if (!max) return leader;
    return new Map([...leader].map(([k, hi]) => [k, Math.min((from.get(k) as number) + (max.get(k) as number), hi)]));
  }

  /** Spark's maxMessagesPerPartition. */
  private maxMessagesPerPartition(from: Map<string, number>, latest: Map<string, number>): Map<string, number> | undefined {
    let estimated: number | undefined;
    if (this.rateController) {
      const lr = this.rateController.getLatestRate();
      estimated = lr > 0 ? lr : this.initialRate;
    }
    let effective: Map<string, number>;
    if (estimated !== undefined && estimated > 0) {
      const lag = new Map([...latest].map(([k, off]) => [k, Math.max(off - (from.get(k) as number), 0)]));
      const totalLag = [...lag.values()].reduce((a, b) => a + b, 0);
      effective = new Map([...lag].map(([k, l]) => {
        const backpressureRate = totalLag === 0 ? 0 : (l / totalLag) * (estimated as number);
        return [k, this.maxRatePerPartition > 0 ? Math.min(backpressureRate, this.maxRatePerPartition) : backpressureRate];
      }));
    } else {
      effective = new Map([...latest.keys()].map((k) => [k, this.maxRatePerPartition]));
    }
    if ([...effective.values()].reduce((a, b) => a + b, 0) <= 0) return undefined;
    const secsPerBatch = this.ssc.batchDuration / 1000;
    return new Map([...effective].map(([k, limit]) => [k, Math.max(Math.trunc(secsPerBatch * limit), this.minRatePerPartition)]));
  }

  private fetchAll(ranges: OffsetRange[]): Promise<RawRecord[][]> {
    const p = this.params;
    return Promise.all(ranges.map((r) => this.kafka().fetchRange(r, p.readCommitted, p.allowNonConsecutiveOffsets, p.pollMs)));
  }

  /** Spark's commitAll: the queued ranges, the highest until-offset per partition, in one commit. */
  private async commitAll(): Promise<void> {
    if (this.commitQueue.length === 0) return;
    const queued = this.commitQueue.splice(0);
    const offsets = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const r of queued) {
      const key = tpKey(r.topic, r.partition);
      if ((offsets.get(key)?.offset ?? -1) < r.untilOffset) offsets.set(key, { topic: r.topic, partition: r.partition, offset: r.untilOffset });
    }
    const result = new Map([...offsets].map(([k, v]) => [k, v.offset]));
    let error: Error | undefined;
    try {
      await this.kafka().commit(this.params.groupId as string, offsets);
    } catch (e) {
      error = KafkaErrors.commitFailed(this.params.groupId as string, (e as Error).message);
      // Spark's commitAsync loses a failed commit; the next batch's commit carries the same offsets.
      log().warn(`DirectKafkaInputDStream: ${error.message}`);
    }
    try { this.commitCallback?.(result, error); } catch (e) { log().warn(`DirectKafkaInputDStream: commit callback threw: ${(e as Error).message}`); }
  }
}

function byTopicPartition(tps: Map<string, TopicPartition>): (a: string, b: string) => number {
  return (a, b) => {
    const x = tps.get(a) as TopicPartition;
    const y = tps.get(b) as TopicPartition;
    return x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition;
  };
}
