package golden;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.Optional;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.State;
import org.apache.spark.streaming.StateSpec;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.dstream.DStream;
import org.apache.spark.streaming.dstream.PairDStreamFunctions;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import org.apache.spark.util.ManualClock;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The golden programs, run on real Spark Streaming (local[2], 1 s batches, a ManualClock starting
 * at 0 so batch k is at k*1000 ms, as streamlab's test). Each program's print() output goes to
 * OUT/NAME.txt with "Time: k000 ms" written as "Time: batch k".
 *
 * Usage: GoldenPrograms INPUT_DIR OUT_DIR [NAME...]
 *
 * Inputs are fed with queueStream of sc.parallelize(batch, 2) RDDs, oneAtATime; programs that need
 * checkpointing (which queueStream refuses) use BatchInputDStream, Spark's TestInputStream.
 * Groups, cogroups and outer joins are printed through the Scala API (CompactBuffer, Some/None),
 * which is what streamlab prints; the Java API would wrap them as [a, b] and Optional[x].
 */
public final class GoldenPrograms {
  private static final int PARTITIONS = 2;
  private static Path inputDir;
  private static JavaSparkContext jsc;
  private static final SwitchableStream sink = new SwitchableStream();

  /**
   * One program: its batch count, its output slide in batches (a batch with no output job reports
   * no completion), and how it builds its streams on the context.
   */
  private record Program(int batches, int slide, boolean checkpoint, Consumer<JavaStreamingContext> build) {}

  private static final Map<String, Program> PROGRAMS = new LinkedHashMap<>();

  private static void program(String name, int batches, Consumer<JavaStreamingContext> build) {
    PROGRAMS.put(name, new Program(batches, 1, false, build));
  }

  private static void program(String name, int batches, int slide, boolean checkpoint, Consumer<JavaStreamingContext> build) {
    PROGRAMS.put(name, new Program(batches, slide, checkpoint, build));
  }

  private static void checkpointed(String name, int batches, Consumer<JavaStreamingContext> build) {
    PROGRAMS.put(name, new Program(batches, 1, true, build));
  }

  static {
    // The lecture's word count and friends on its small input.
    program("lecture-wordcount", 5, ssc ->
        words(ssc, "lecture").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((i1, i2) -> i1 + i2).print());
    program("lecture-countbyvalue", 5, ssc -> words(ssc, "lecture").countByValue().print());
    program("lecture-groupbykey", 5, ssc ->
        scalaPairs(words(ssc, "lecture").mapToPair(s -> new Tuple2<>(s, 1))).groupByKey().print());
    program("lecture-count", 5, ssc -> words(ssc, "lecture").count().print());
    program("lecture-reduce", 5, ssc -> words(ssc, "lecture").reduce((a, b) -> a + "+" + b).print());

    // 300 distinct words over 6 batches (one empty): AppendOnlyMap growth, probe collisions.
    program("wordcount", 6, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((a, b) -> a + b).print(1000));
    program("wordcount-3partitions", 6, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((a, b) -> a + b, 3).print(1000));
    program("countbyvalue", 6, ssc -> words(ssc, "words").countByValue().print(1000));
    program("count", 6, ssc -> words(ssc, "words").count().print());
    program("reduce", 6, ssc -> words(ssc, "words").reduce((a, b) -> a + "+" + b).print());
    program("groupbykey", 6, ssc -> scalaPairs(pairs(ssc, "pairs")).groupByKey().print(1000));
    program("union-countbyvalue", 6, ssc -> words(ssc, "words").union(words(ssc, "words2")).countByValue().print(1000));
    program("tuple-keys", 6, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(new Tuple2<>(s, s.length()), 1)).reduceByKey((a, b) -> a + b).print(1000));
    program("numeric-keys", 5, ssc ->
        words(ssc, "numbers").mapToPair(s -> new Tuple2<>(number(s), 1)).reduceByKey((a, b) -> a + b).print(1000));
    checkpointed("updatestatebykey", 8, ssc ->
        checkpointedWords(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1))
            .updateStateByKey((List<Integer> values, Optional<Integer> state) -> {
              int sum = state.orElse(0);
              for (int v : values) sum += v;
              return Optional.of(sum);
            }).print(1000));
    program("window", 8, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1))
            .reduceByKeyAndWindow((a, b) -> a + b, Durations.seconds(3), Durations.seconds(1)).print(1000));
    program("window-slide2", 8, 2, false, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1))
            .reduceByKeyAndWindow((a, b) -> a + b, Durations.seconds(3), Durations.seconds(2)).print(1000));
    checkpointed("window-inverse", 8, ssc ->
        checkpointedWords(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1))
            .reduceByKeyAndWindow((a, b) -> a + b, (a, b) -> a - b, Durations.seconds(3), Durations.seconds(1)).print(1000));
    program("window-inverse-slide2", 8, 2, true, ssc ->
        checkpointedWords(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1))
            .reduceByKeyAndWindow((a, b) -> a + b, (a, b) -> a - b, Durations.seconds(3), Durations.seconds(2)).print(1000));
    checkpointed("countbyvalueandwindow", 8, ssc ->
        checkpointedWords(ssc, "words").countByValueAndWindow(Durations.seconds(3), Durations.seconds(1)).print(1000));
    program("reducebywindow", 8, ssc ->
        words(ssc, "lecture").reduceByWindow((a, b) -> a + "+" + b, Durations.seconds(3), Durations.seconds(1)).print());
    checkpointed("mapwithstate", 8, ssc -> runningCounts(ssc).print(1000));
    checkpointed("mapwithstate-snapshots", 8, ssc -> runningCounts(ssc).stateSnapshots().print(1000));
    program("groupbykeyandwindow", 7, ssc ->
        scalaPairs(pairs(ssc, "pairs")).groupByKeyAndWindow(Durations.seconds(3), Durations.seconds(1)).print(1000));
    program("join-counts", 6, ssc -> {
      JavaPairDStream<String, Integer> a = words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((x, y) -> x + y);
      JavaPairDStream<String, Integer> b = words(ssc, "words2").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((x, y) -> x + y);
      a.join(b).print(1000);
    });
    program("join", 6, ssc -> pairs(ssc, "pairs").join(pairs(ssc, "pairs2")).print(2000));
    program("leftouterjoin", 6, ssc ->
        scalaPairs(pairs(ssc, "pairs")).leftOuterJoin(pairs(ssc, "pairs2").dstream(), tag()).print(2000));
    program("cogroup", 6, ssc -> scalaPairs(pairs(ssc, "pairs")).cogroup(pairs(ssc, "pairs2").dstream(), tag()).print(1000));
    program("sortbykey", 6, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((a, b) -> a + b)
            .transformToPair(rdd -> rdd.sortByKey()).print(1000));
    program("top-n", 6, ssc ->
        words(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1)).reduceByKey((a, b) -> a + b)
            .transformToPair(rdd -> rdd.mapToPair(Tuple2::swap).sortByKey(false)).print(20));
  }

  /** mapWithState keeping a running count per word of input/words.txt, emitting (word, count). */
  private static JavaMapWithStateDStream<String, Integer, Integer, Tuple2<String, Integer>> runningCounts(JavaStreamingContext ssc) {
    return checkpointedWords(ssc, "words").mapToPair(s -> new Tuple2<>(s, 1)).mapWithState(StateSpec.function(
        (String word, Optional<Integer> one, State<Integer> state) -> {
          int sum = one.orElse(0) + (state.exists() ? state.get() : 0);
          state.update(sum);
          return new Tuple2<>(word, sum);
        }));
  }

  /** The tokens of input/NAME.txt, batch by batch, as a queueStream of parallelized RDDs. */
  private static JavaDStream<String> words(JavaStreamingContext ssc, String name) {
    Queue<JavaRDD<String>> queue = new LinkedList<>();
    for (List<String> batch : readBatches(name)) queue.add(ssc.sparkContext().parallelize(batch, PARTITIONS));
    return ssc.queueStream(queue, true);
  }

  /** The same tokens through BatchInputDStream, for programs that checkpoint. */
  private static JavaDStream<String> checkpointedWords(JavaStreamingContext ssc, String name) {
    ClassTag<String> tag = ClassTag$.MODULE$.apply(String.class);
    return new JavaDStream<>(new BatchInputDStream<>(ssc.ssc(), readBatches(name), PARTITIONS, tag), tag);
  }

  /** "key:value" tokens as (key, Integer value) pairs. */
  private static JavaPairDStream<String, Integer> pairs(JavaStreamingContext ssc, String name) {
    return words(ssc, name).mapToPair(s -> {
      int colon = s.lastIndexOf(':');
      return new Tuple2<>(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    });
  }

  /** A number token as the JVM type a JavaScript number of that value reads as: Integer, Long or Double. */
  private static Object number(String s) {
    if (s.contains(".")) return Double.parseDouble(s);
    long v = Long.parseLong(s);
    return v == (int) v ? (Object) (int) v : (Object) v;
  }

  @SuppressWarnings("unchecked")
  private static <T> ClassTag<T> tag() {
    return (ClassTag<T>) ClassTag$.MODULE$.AnyRef();
  }

  /** Scala's PairDStreamFunctions of a Java pair stream, for Scala-API printing. */
  private static <K, V> PairDStreamFunctions<K, V> scalaPairs(JavaPairDStream<K, V> s) {
    DStream<Tuple2<K, V>> d = s.dstream();
    return DStream.toPairDStreamFunctions(d, GoldenPrograms.<K>tag(), GoldenPrograms.<V>tag(), null);
  }

  private static List<List<String>> readBatches(String name) {
    try {
      List<List<String>> batches = new ArrayList<>();
      for (String line : Files.readAllLines(inputDir.resolve(name + ".txt"), StandardCharsets.UTF_8)) {
        batches.add(line.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(line.split(" "))));
      }
      return batches;
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  private static void run(String name, Program p, Path outDir) throws Exception {
    JavaStreamingContext ssc = new JavaStreamingContext(jsc, Durations.seconds(1));
    File checkpointDir = null;
    if (p.checkpoint()) {
      checkpointDir = Files.createTempDirectory("golden-checkpoint-").toFile();
      ssc.checkpoint(checkpointDir.getPath());
    }
    p.build().accept(ssc);
    AtomicInteger completed = new AtomicInteger();
    ssc.ssc().addStreamingListener(new StreamingListener() {
      @Override public void onBatchCompleted(StreamingListenerBatchCompleted batch) {
        synchronized (completed) { completed.incrementAndGet(); completed.notifyAll(); }
      }
    });
    Path raw = outDir.resolve(name + ".raw");
    try (OutputStream file = new FileOutputStream(raw.toFile())) {
      sink.target = file;
      ssc.start();
      ManualClock clock = (ManualClock) ssc.ssc().scheduler().clock();
      for (int i = 1; i <= p.batches(); i++) {
        clock.advance(1000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        synchronized (completed) {
          while (completed.get() < i / p.slide()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) throw new IllegalStateException(name + ": batch " + i + " did not complete");
            completed.wait(left);
          }
        }
      }
      ssc.stop(false, false);
      sink.flush();
    } finally {
      sink.target = null;
    }
    Files.writeString(outDir.resolve(name + ".txt"), normalize(Files.readString(raw, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    Files.delete(raw);
    System.err.println("golden: " + name + " done");
  }

  /** "Time: 3000 ms" becomes "Time: batch 3" (batch k of 1 s batches from a clock at 0). */
  static String normalize(String printed) {
    Matcher m = Pattern.compile("(?m)^Time: (\\d+) ms$").matcher(printed);
    StringBuilder out = new StringBuilder();
    while (m.find()) m.appendReplacement(out, "Time: batch " + (Long.parseLong(m.group(1)) / 1000));
    m.appendTail(out);
    return out.toString();
  }

  public static void main(String[] args) throws Exception {
    // Scala's Console.out is System.out as it is when Console first loads: set it before Spark runs.
    System.setOut(new PrintStream(sink, true, StandardCharsets.UTF_8));
    inputDir = Paths.get(args[0]);
    Path outDir = Paths.get(args[1]);
    Files.createDirectories(outDir);
    List<String> only = Arrays.asList(args).subList(2, args.length);
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("GoldenPrograms")
        .set("spark.streaming.clock", "org.apache.spark.util.ManualClock")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1");
    jsc = new JavaSparkContext(conf);
    try {
      for (Map.Entry<String, Program> e : PROGRAMS.entrySet()) {
        if (only.isEmpty() || only.contains(e.getKey())) run(e.getKey(), e.getValue(), outDir);
      }
    } finally {
      jsc.stop();
    }
  }

  /** stdout that the harness points at one program's output file at a time (nowhere in between). */
  private static final class SwitchableStream extends OutputStream {
    volatile OutputStream target;

    @Override public void write(int b) throws IOException {
      OutputStream t = target;
      if (t != null) t.write(b);
    }

    @Override public void write(byte[] b, int off, int len) throws IOException {
      OutputStream t = target;
      if (t != null) t.write(b, off, len);
    }

    @Override public void flush() throws IOException {
      OutputStream t = target;
      if (t != null) t.flush();
    }
  }
}
