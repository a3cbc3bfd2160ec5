package streamlab.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The benchmark's Kafka feed (issue 20), a process of its own like the socket sender (sender.js),
 * serving both engines alike: `KafkaFeed BOOTSTRAP TOPIC POOL_FILE RATE PARTITIONS`. It prints
 * `T0 t`, then writes the pool's lines (cycling) so that record k is sent by t0 + (k + 1) / RATE,
 * to partition k % PARTITIONS; every 5 ms it sends the records due so far. It ends on stdin's end
 * (the Node side closes it) after flushing, and prints `SENT n` and, if a send failed, `ERROR msg`.
 *
 * Written in Java because the benchmark needs a producer that is never the bottleneck: the Java
 * client batches (linger.ms 5) and compresses nothing, as a sales-feed producer would.
 */
public final class KafkaFeed {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    List<String> pool = Files.readAllLines(Paths.get(args[2]), StandardCharsets.UTF_8);
    double rate = Double.parseDouble(args[3]);
    int partitions = Integer.parseInt(args[4]);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(256L * 1024 * 1024));
    props.put(ProducerConfig.ACKS_CONFIG, "1");
    AtomicReference<String> error = new AtomicReference<>();
    Thread producing;
    long[] sent = {0};
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      // The client fetches the topic's metadata on its first send; pay that before t0.
      producer.partitionsFor(topic);
      long t0 = System.currentTimeMillis();
      System.out.println("T0 " + t0);
      System.out.flush();
      producing = new Thread(() -> {
        int next = 0;
        try {
          while (!Thread.currentThread().isInterrupted()) {
            long due = (long) Math.floor((System.currentTimeMillis() - t0) * rate / 1000.0);
            for (; sent[0] < due; sent[0]++) {
              producer.send(new ProducerRecord<>(topic, (int) (sent[0] % partitions), null, pool.get(next)), (meta, e) -> {
                if (e != null) error.compareAndSet(null, e.toString());
              });
              if (++next == pool.size()) next = 0;
            }
            Thread.sleep(5);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "kafka-feed");
      producing.start();
      // Runs until the benchmark closes stdin (or dies, which closes it too).
      while (System.in.read() >= 0) { }
      producing.interrupt();
      producing.join();
      producer.flush();
    }
    System.out.println("SENT " + sent[0]);
    if (error.get() != null) System.out.println("ERROR " + error.get());
    System.out.flush();
  }
}
