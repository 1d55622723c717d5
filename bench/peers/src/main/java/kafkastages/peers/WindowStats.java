package kafkastages.peers;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * One group's state in one window: count, sum and a DDSketch for p99, with the same
 * mapping as the transformer's (sketch/ddsketch.ts): bucket i holds (γ^(i−1), γ^i] with
 * γ = (1+α)/(1−α), reports 2γ^i/(γ+1), and the q-quantile is the element of rank
 * floor(q·(n−1)); so its p99 is within α (relative) of the exact one, like ours. Values
 * below 1e-9 in magnitude count as 0.
 */
final class WindowStats {
  static final double ALPHA = 0.01;
  private static final double GAMMA = (1 + ALPHA) / (1 - ALPHA);
  private static final double LOG_GAMMA = Math.log(GAMMA);
  private static final double MIN_VALUE = 1e-9;

  long count;
  double sum;
  long zeros;
  final TreeMap<Integer, Integer> positive = new TreeMap<>();
  final TreeMap<Integer, Integer> negative = new TreeMap<>();

  WindowStats add(double value) {
    count++;
    sum += value;
    double magnitude = Math.abs(value);
    if (magnitude < MIN_VALUE) {
      zeros++;
    } else {
      int index = (int) Math.ceil(Math.log(magnitude) / LOG_GAMMA);
      (value > 0 ? positive : negative).merge(index, 1, Integer::sum);
    }
    return this;
  }

  double quantile(double q) {
    if (count == 0) return Double.NaN;
    long rank = (long) Math.floor(Math.min(1, Math.max(0, q)) * (count - 1));
    long seen = 0;
    for (Map.Entry<Integer, Integer> e : negative.descendingMap().entrySet()) {
      seen += e.getValue();
      if (seen > rank) return -value(e.getKey());
    }
    seen += zeros;
    if (seen > rank) return 0;
    for (Map.Entry<Integer, Integer> e : positive.entrySet()) {
      seen += e.getValue();
      if (seen > rank) return value(e.getKey());
    }
    return Double.NaN;
  }

  private static double value(int index) {
    return 2 * Math.pow(GAMMA, index) / (GAMMA + 1);
  }

  /** count, sum, zeros, then each store as (size, (index, count)…). */
  static final class Codec implements Serializer<WindowStats>, Deserializer<WindowStats> {
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}

    @Override
    public byte[] serialize(String topic, WindowStats s) {
      if (s == null) return null;
      ByteBuffer b =
          ByteBuffer.allocate(8 + 8 + 8 + 4 + 4 + 8 * (s.positive.size() + s.negative.size()));
      b.putLong(s.count).putDouble(s.sum).putLong(s.zeros);
      for (TreeMap<Integer, Integer> store : java.util.List.of(s.positive, s.negative)) {
        b.putInt(store.size());
        for (Map.Entry<Integer, Integer> e : store.entrySet()) b.putInt(e.getKey()).putInt(e.getValue());
      }
      return b.array();
    }

    @Override
    public WindowStats deserialize(String topic, byte[] data) {
      if (data == null) return null;
      ByteBuffer b = ByteBuffer.wrap(data);
      WindowStats s = new WindowStats();
      s.count = b.getLong();
      s.sum = b.getDouble();
      s.zeros = b.getLong();
      for (TreeMap<Integer, Integer> store : java.util.List.of(s.positive, s.negative)) {
        int size = b.getInt();
        for (int i = 0; i < size; i++) store.put(b.getInt(), b.getInt());
      }
      return s;
    }
  }

  static Serde<WindowStats> serde() {
    Codec codec = new Codec();
    return Serdes.serdeFrom(codec, codec);
  }
}
