import { CompactBuffer, DStream, ManualClock, OutputHandle, RDD, StreamingContext, TestInputStream, Time } from "../../engine";

// Type tests: `npm test` type-checks this file (tsc --noEmit), so a wrong generic fails the build.
// Each `@ts-expect-error` line must stay an error.

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

describe("operator generics", () => {
  it("infer pair types through the lecture's pipeline", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const lines = new TestInputStream<string>(ssc, []);
    const words = lines.flatMap((s) => s.split(" "));
    const pairs = words.mapToPair((s) => [s, 1]);
    const counts = pairs.reduceByKey((a, b) => a + b);
    assertType<Equals<typeof words, DStream<string>>>(true);
    assertType<Equals<typeof pairs, DStream<[string, number]>>>(true);
    assertType<Equals<typeof counts, DStream<[string, number]>>>(true);
    const grouped = pairs.groupByKey();
    assertType<Equals<typeof grouped, DStream<[string, CompactBuffer<number>]>>>(true);
    const joined = counts.join(pairs.mapValues((n) => String(n)));
    assertType<Equals<typeof joined, DStream<[string, [number, string]]>>>(true);
    const left = counts.leftOuterJoin(pairs);
    assertType<Equals<typeof left, DStream<[string, [number, number | undefined]]>>>(true);
    const n = words.count();
    assertType<Equals<typeof n, DStream<number>>>(true);
    const t = words.transform((rdd: RDD<string>, time: Time) => rdd.map((w) => w.length + time.milliseconds));
    assertType<Equals<typeof t, DStream<number>>>(true);
    // @ts-expect-error reduceByKey needs a stream of [key, value] pairs
    words.reduceByKey((a: string, b: string) => a + b);
    // @ts-expect-error the reduce function must take the value type
    counts.reduceByKey((a: string, b: string) => a + b);
    expect(true).toBe(true);
  });
});

describe("output operations (issue 19)", () => {
  it("return an OutputHandle; saveAsHadoopFiles needs pairs", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const words = new TestInputStream<string>(ssc, []);
    const pairs = words.mapToPair((w) => [w, 1]);
    const handles = [words.print(), words.foreachRDD(() => {}), words.saveAsTextFiles("x"), words.saveAsObjectFiles("y"), pairs.saveAsHadoopFiles("z")];
    assertType<Equals<typeof handles, OutputHandle[]>>(true);
    // @ts-expect-error saveAsHadoopFiles needs a stream of [key, value] pairs
    words.saveAsHadoopFiles("w");
  });
});
