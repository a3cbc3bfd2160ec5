package streamlab.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.io.Serializable;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.streaming.Duration;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.kafka010.ConsumerStrategies;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.apache.spark.streaming.receiver.Receiver;
import org.apache.spark.streaming.scheduler.BatchInfo;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;

import scala.Tuple2;

/**
 * The Apache Spark Streaming side of streamlab's benchmark (issue 6), written as the lecture's Java
 * programs are. The benchmark starts a fresh JVM for each probe (spark-runner.ts): a probe that
 * follows an overloaded one in the same JVM read low (its heap and threads had not recovered).
 *
 * Protocol: one command per stdin line,
 *   probe WORKLOAD FEED BATCH_MS SLIDE_MS RATE SECONDS PORT BLOCK_MS [BOOTSTRAP TOPIC]
 * (WORKLOAD grep|wordcount|topk|sales, FEED generator|socket|kafka, PORT used by the socket feed,
 * BLOCK_MS the block interval, the same as streamlab's: blockIntervalFor in streamlab-runner.ts;
 * BOOTSTRAP and TOPIC for the Kafka feed, read with spark-streaming-kafka-0-10's direct stream), and
 * one answer per command on stdout: RESULT {json} with t0 (when record 0 was due) and every batch's
 * numRecords, processingDelay, schedulingDelay and processingEndTime. "quit" ends the JVM.
 * Args: the 100-byte record pool file and the sales pool file written by the Node side.
 */
public final class SparkBench {
  static final String GREP_PATTERN = System.getProperty("bench.grep", "qu");

  public static void main(String[] args) throws Exception {
    List<String> words = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
    List<String> sales = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
    String grepPattern = args.length > 2 ? args[2] : GREP_PATTERN;
    SparkConf conf = new SparkConf().setAppName("StreamlabBench").setMaster("local[2]")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1");
    JavaSparkContext sc = new JavaSparkContext(conf);
    sc.setLogLevel("WARN");
    warmUp(sc, words, sales, grepPattern);
    System.out.println("READY");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] cmd = line.trim().split("\\s+");
      if (cmd[0].equals("quit")) break;
      if (!cmd[0].equals("probe")) continue;
      String json = probe(sc, cmd[1], cmd[2], Long.parseLong(cmd[3]), Long.parseLong(cmd[4]), Double.parseDouble(cmd[5]),
          Double.parseDouble(cmd[6]), Integer.parseInt(cmd[7]), Long.parseLong(cmd[8]), cmd[1].equals("sales") ? sales : words, grepPattern,
          cmd.length > 10 ? cmd[9] : null, cmd.length > 10 ? cmd[10] : null);
      System.out.println("RESULT " + json);
      System.out.flush();
    }
    sc.stop();
  }

  static String probe(JavaSparkContext sc, String workload, String feed, long batchMs, long slideMs, double rate,
      double seconds, int port, long blockMs, List<String> pool, String grepPattern, String bootstrap, String topic) throws Exception {
    // socketTextStream's BlockGenerator reads the interval when its receiver starts, from the
    // running context's conf (in local mode, SparkEnv's conf is the SparkContext's own).
    SparkEnv.get().conf().set("spark.streaming.blockInterval", blockMs + "ms");
    JavaStreamingContext ssc = new JavaStreamingContext(sc, new Duration(batchMs));
    Path dir = Files.createTempDirectory("spark-bench-checkpoint");
    if (!workload.equals("grep")) ssc.checkpoint(dir.toString()); // incremental windows need it
    // Blocks are cut every blockMs from t0, half a block off the batch grid.
    long t0 = (System.currentTimeMillis() / batchMs + 1) * batchMs + blockMs / 2;
    JavaDStream<String> lines;
    if (feed.equals("kafka")) {
      // As the Spark Streaming + Kafka integration guide writes it; the topic is new and empty.
      Map<String, Object> kafkaParams = new HashMap<>();
      kafkaParams.put("bootstrap.servers", bootstrap);
      kafkaParams.put("key.deserializer", StringDeserializer.class);
      kafkaParams.put("value.deserializer", StringDeserializer.class);
      kafkaParams.put("group.id", "spark-bench-" + topic);
      kafkaParams.put("auto.offset.reset", "earliest");
      kafkaParams.put("enable.auto.commit", false);
      lines = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(),
              ConsumerStrategies.<String, String>Subscribe(List.of(topic), kafkaParams))
          .map(ConsumerRecord::value);
    } else if (feed.equals("socket")) {
      lines = ssc.socketTextStream("127.0.0.1", port, StorageLevel.MEMORY_AND_DISK_SER());
    } else {
      lines = ssc.receiverStream(new PoolReceiver(pool.toArray(new String[0]), rate, t0, blockMs));
    }
    Duration window = new Duration(30_000);
    Duration slide = new Duration(slideMs);
    switch (workload) {
      case "grep":
        lines.filter(l -> l.contains(grepPattern)).count().foreachRDD(rdd -> { rdd.collect(); });
        break;
      case "wordcount": {
        JavaPairDStream<String, Integer> counts = lines.flatMap(l -> Arrays.asList(l.split(" ")).iterator())
            .mapToPair(w -> new Tuple2<>(w, 1))
            .reduceByKeyAndWindow((a, b) -> a + b, (a, b) -> a - b, window, slide);
        counts.foreachRDD(rdd -> { rdd.count(); });
        break;
      }
      case "topk": {
        JavaPairDStream<String, Integer> counts = lines.flatMap(l -> Arrays.asList(l.split(" ")).iterator())
            .mapToPair(w -> new Tuple2<>(w, 1))
            .reduceByKeyAndWindow((a, b) -> a + b, (a, b) -> a - b, window, slide);
        counts.foreachRDD(rdd -> { rdd.top(10, new ByCount()); });
        break;
      }
      case "sales": {
        JavaPairDStream<String, Integer> sold = lines.map(l -> l.split(","))
            .filter(f -> f.length == 4 && !f[1].isEmpty() && f[2].matches("\\d+"))
            .mapToPair(f -> new Tuple2<>(f[1], Integer.parseInt(f[2])))
            .reduceByKeyAndWindow((a, b) -> a + b, (a, b) -> a - b, window, slide);
        sold.reduce((a, b) -> a._2() > b._2() || (a._2().equals(b._2()) && a._1().compareTo(b._1()) < 0) ? a : b)
            .foreachRDD(rdd -> { rdd.collect(); });
        break;
      }
      default:
        throw new IllegalArgumentException("Unknown workload: " + workload);
    }
    List<String> batches = new ArrayList<>();
    ssc.addStreamingListener(new StreamingListener() {
      @Override
      public void onBatchCompleted(StreamingListenerBatchCompleted event) {
        BatchInfo b = event.batchInfo();
        synchronized (batches) {
          batches.add(String.format("{\"time\":%d,\"numRecords\":%d,\"processingDelay\":%d,\"schedulingDelay\":%d,\"processingEndTime\":%d}",
              b.batchTime().milliseconds(), b.numRecords(), (Long) b.processingDelay().get(), (Long) b.schedulingDelay().get(),
              (Long) b.processingEndTime().get()));
        }
      }
    });
    long started = System.currentTimeMillis();
    ssc.start();
    ssc.awaitTerminationOrTimeout((long) (seconds * 1000));
    ssc.stop(false, false);
    long stopped = System.currentTimeMillis();
    deleteRecursively(dir);
    synchronized (batches) {
      return String.format("{\"t0\":%d,\"started\":%d,\"stopped\":%d,\"batches\":[%s]}", t0, started, stopped, String.join(",", batches));
    }
  }

  /**
   * Each probe runs in a fresh JVM (spark-runner.ts), whose first batches would otherwise pay for
   * class loading and JIT compilation while streamlab's probes run in a warm process. So before
   * READY, every workload's batch logic runs on the pools as plain RDD jobs for about 3 s.
   */
  static void warmUp(JavaSparkContext sc, List<String> words, List<String> sales, String grepPattern) {
    long until = System.currentTimeMillis() + 3000;
    List<String> someWords = words.subList(0, Math.min(words.size(), 50_000));
    List<String> someSales = sales.subList(0, Math.min(sales.size(), 50_000));
    while (System.currentTimeMillis() < until) {
      var lines = sc.parallelize(someWords, 4);
      lines.filter(l -> l.contains(grepPattern)).count();
      var counts = lines.flatMap(l -> Arrays.asList(l.split(" ")).iterator()).mapToPair(w -> new Tuple2<>(w, 1)).reduceByKey((a, b) -> a + b);
      counts.top(10, new ByCount());
      counts.count();
      sc.parallelize(someSales, 4).map(l -> l.split(","))
          .filter(f -> f.length == 4 && !f[1].isEmpty() && f[2].matches("\\d+"))
          .mapToPair(f -> new Tuple2<>(f[1], Integer.parseInt(f[2])))
          .reduceByKey((a, b) -> a + b).collect();
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Orders (word, count) pairs by count, for top(10). */
  static final class ByCount implements Comparator<Tuple2<String, Integer>>, Serializable {
    @Override
    public int compare(Tuple2<String, Integer> a, Tuple2<String, Integer> b) {
      return Integer.compare(a._2(), b._2());
    }
  }

  /**
   * The in-process generator: record k of the pool (cycled) is due at t0 + k / rate; every block
   * interval (BLOCK_MS) the records due so far are stored as one
   * block, as the BlockGenerator would cut them, without paying store(single)'s per-record lock.
   */
  static final class PoolReceiver extends Receiver<String> {
    private final String[] pool;
    private final double rate;
    private final long t0;
    private final long blockMs;

    PoolReceiver(String[] pool, double rate, long t0, long blockMs) {
      super(StorageLevel.MEMORY_ONLY());
      this.pool = pool;
      this.rate = rate;
      this.t0 = t0;
      this.blockMs = blockMs;
    }

    @Override
    public void onStart() {
      new Thread(this::receive, "pool-receiver").start();
    }

    @Override
    public void onStop() {}

    private void receive() {
      long stored = 0;
      int next = 0;
      try {
        long wait = t0 - System.currentTimeMillis();
        if (wait > 0) Thread.sleep(wait);
        while (!isStopped()) {
          long due = (long) Math.floor((System.currentTimeMillis() - t0) * rate / 1000.0);
          int n = (int) Math.max(0, due - stored);
          if (n > 0) {
            ArrayList<String> block = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              block.add(pool[next]);
              if (++next == pool.length) next = 0;
            }
            store(block.iterator());
            stored += n;
          }
          long now = System.currentTimeMillis();
          Thread.sleep(Math.max(0, t0 + ((now - t0) / blockMs + 1) * blockMs - now));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
