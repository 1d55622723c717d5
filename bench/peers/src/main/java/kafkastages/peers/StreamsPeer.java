package kafkastages.peers;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The metric transformer's work as a Kafka Streams application, for `make bench-peers`:
 *
 * <pre>
 * input (Influx line protocol, several lines per record)
 *   → parse, filter, relabel (per record; one output record per sample, timestamped with
 *     the sample's event time, keyed by its group)
 *   → repartition by group (Kafka Streams' own `…-by-group-repartition` topic)
 *   → 10 s tumbling windows, grace = the transformer's lateness, emitted once on close
 *     (EmitStrategy.onWindowClose): count, sum, p99 (DDSketch, α = 1 %)
 *   → output topic: {name, labels, start, end, count, sum, p99}, keyed name{labels}
 * </pre>
 *
 * The rules are the bench's transformer config (bench/peers.ts): drop samples with
 * region="ap-south-1" and code=~"5.."; job := service; drop the instance label; group by
 * (name, job, method, region).
 *
 * Arguments: --bootstrap H:P --input T[,T…] --output T --app-id ID --guarantee alo|eos
 * [--threads N] [--grace-ms MS] [--state-dir DIR] [--cache-bytes N] [--commit-ms MS].
 * Prints `ready <epoch ms>` once RUNNING and `progress <samples parsed>` every 100 ms while
 * it changes; stops cleanly on SIGTERM.
 */
public final class StreamsPeer {
  private static final Pattern CODE_5XX = Pattern.compile("5..");
  private static final String[] GROUP_BY = {"job", "method", "region"};
  private static final char SEP = '\u0000';
  /** Samples parsed so far (all threads): the bench waits for the input to be read. */
  private static final java.util.concurrent.atomic.AtomicLong PARSED = new java.util.concurrent.atomic.AtomicLong();

  private StreamsPeer() {}

  /** Parse, filter, relabel: one record per kept sample, keyed by its group. */
  static final class Prepare implements Processor<String, String, String, Double> {
    private ProcessorContext<String, Double> context;

    @Override
    public void init(ProcessorContext<String, Double> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, String> record) {
      if (record.value() == null) return;
      InfluxLines.parse(
          record.value(),
          record.timestamp(),
          (name, labels, value, ts) -> {
            PARSED.incrementAndGet();
            if ("ap-south-1".equals(labels.get("region"))
                && CODE_5XX.matcher(labels.getOrDefault("code", "")).matches()) return;
            String service = labels.getOrDefault("service", "");
            if (service.isEmpty()) labels.remove("job");
            else labels.put("job", service);
            labels.remove("instance");
            StringBuilder key = new StringBuilder(64).append(name);
            for (String label : GROUP_BY) {
              String v = labels.get(label);
              if (v != null && !v.isEmpty()) key.append(SEP).append(label).append(SEP).append(v);
            }
            context.forward(new Record<>(key.toString(), value, ts));
          });
    }
  }

  /** `name` and label pairs back from a group key. */
  private static String[] split(String key) {
    return key.split(String.valueOf(SEP), -1);
  }

  private static void jsonString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    out.append('"');
  }

  /** The transformer's output key: name{a="x",b="y"} with the labels sorted. */
  static String seriesId(String key) {
    String[] parts = split(key);
    if (parts.length == 1) return parts[0];
    StringBuilder out = new StringBuilder(parts[0]).append('{');
    for (int i = 1; i + 1 < parts.length; i += 2) {
      if (i > 1) out.append(',');
      out.append(parts[i]).append('=');
      jsonString(out, parts[i + 1]);
    }
    return out.append('}').toString();
  }

  /** encode.ts aggregateToJson's shape. */
  static String toJson(String key, long start, long end, WindowStats s) {
    String[] parts = split(key);
    StringBuilder out = new StringBuilder(160).append("{\"name\":");
    jsonString(out, parts[0]);
    out.append(",\"labels\":{");
    for (int i = 1; i + 1 < parts.length; i += 2) {
      if (i > 1) out.append(',');
      jsonString(out, parts[i]);
      out.append(':');
      jsonString(out, parts[i + 1]);
    }
    out.append("},\"start\":").append(start).append(",\"end\":").append(end);
    out.append(",\"count\":").append(s.count);
    out.append(",\"sum\":").append(s.sum);
    out.append(",\"p99\":").append(s.quantile(0.99)).append('}');
    return out.toString();
  }

  private static Map<String, String> args(String[] argv) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --key value at " + argv[i]);
      out.put(argv[i].substring(2), argv[i + 1]);
    }
    for (String required : new String[] {"bootstrap", "input", "output", "app-id", "guarantee"}) {
      if (!out.containsKey(required)) throw new IllegalArgumentException("missing --" + required);
    }
    return out;
  }

  public static void main(String[] argv) throws InterruptedException {
    Map<String, String> a = args(argv);
    String guarantee = a.get("guarantee");
    if (!guarantee.equals("alo") && !guarantee.equals("eos")) {
      throw new IllegalArgumentException("--guarantee must be alo or eos; got " + guarantee);
    }
    long graceMs = Long.parseLong(a.getOrDefault("grace-ms", "2000"));

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(java.util.List.of(a.get("input").split(",")), Consumed.with(Serdes.String(), Serdes.String()))
        .process(Prepare::new)
        .groupByKey(Grouped.with("by-group", Serdes.String(), Serdes.Double()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofMillis(graceMs)))
        .emitStrategy(EmitStrategy.onWindowClose())
        .aggregate(
            WindowStats::new,
            (key, value, stats) -> stats.add(value),
            Materialized.<String, WindowStats, WindowStore<Bytes, byte[]>>as("windows")
                .withKeySerde(Serdes.String())
                .withValueSerde(WindowStats.serde()))
        .toStream()
        .map(
            (window, stats) ->
                KeyValue.pair(
                    seriesId(window.key()),
                    toJson(window.key(), window.window().start(), window.window().end(), stats)))
        .to(a.get("output"), Produced.with(Serdes.String(), Serdes.String()));

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("app-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    p.put(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        guarantee.equals("eos") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(a.getOrDefault("threads", "2")));
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.parseLong(a.getOrDefault("cache-bytes", "67108864")));
    if (a.containsKey("commit-ms")) p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(a.get("commit-ms")));
    p.put(StreamsConfig.STATE_DIR_CONFIG, a.getOrDefault("state-dir", System.getProperty("java.io.tmpdir") + "/kafka-streams-peer"));
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    KafkaStreams streams = new KafkaStreams(builder.build(p), p);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING && before == KafkaStreams.State.REBALANCING) {
            System.out.println("ready " + System.currentTimeMillis());
          } else if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
            System.out.println("state " + now);
            stopped.countDown();
          }
        });
    streams.setUncaughtExceptionHandler(
        e -> {
          System.out.println("error " + e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close(Duration.ofSeconds(20));
                  streams.cleanUp();
                }));
    Thread progress =
        new Thread(
            () -> {
              long said = -1;
              try {
                for (;;) {
                  long n = PARSED.get();
                  if (n != said) System.out.println("progress " + n);
                  said = n;
                  Thread.sleep(100);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    progress.setDaemon(true);
    progress.start();
    streams.cleanUp();
    streams.start();
    stopped.await();
  }
}
