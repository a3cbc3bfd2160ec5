package golden;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.streaming.StreamingContext;
import org.apache.spark.streaming.Time;
import org.apache.spark.streaming.dstream.InputDStream;
import scala.Option;
import scala.reflect.ClassTag;

/**
 * Spark's TestInputStream (from its test suite) for programs that need checkpointing, which
 * queueStream refuses: batch i is {@code sc.parallelize(batches[i], numPartitions)}, an empty RDD
 * after the last one. Serializable, as checkpointing requires.
 */
public class BatchInputDStream<T> extends InputDStream<T> {
  private final ArrayList<ArrayList<T>> batches;
  private final int numPartitions;

  public BatchInputDStream(StreamingContext ssc, List<List<T>> batches, int numPartitions, ClassTag<T> tag) {
    super(ssc, tag);
    this.batches = new ArrayList<>();
    for (List<T> b : batches) this.batches.add(new ArrayList<>(b));
    this.numPartitions = numPartitions;
  }

  @Override public void start() {}

  @Override public void stop() {}

  @Override
  public Option<RDD<T>> compute(Time validTime) {
    long index = (validTime.milliseconds() - zeroTime().milliseconds()) / slideDuration().milliseconds() - 1;
    List<T> selected = index < batches.size() ? batches.get((int) index) : Collections.<T>emptyList();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(ssc().sparkContext());
    return Option.apply(jsc.parallelize(selected, numPartitions).rdd());
  }
}
