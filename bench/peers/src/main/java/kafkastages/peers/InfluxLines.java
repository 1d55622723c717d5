package kafkastages.peers;

import java.util.HashMap;
import java.util.Map;

/**
 * Influx line protocol, as the transformer reads it (parse/influx.ts): one point per line,
 * `measurement[,tag=value…] field=value[,field=value…] [timestamp ns]`; each numeric field
 * is one sample named `measurement` (field `value`) or `measurement_field`; string fields
 * are skipped; integers (`i`, `u` suffix) and booleans are numbers. A line that does not
 * parse is skipped and counted, as the transformer dead-letters it.
 */
final class InfluxLines {
  /** Receives each sample of a record. */
  interface Sink {
    void sample(String name, Map<String, String> labels, double value, long timestampMs);
  }

  private InfluxLines() {}

  /** Parses every line of `text`; returns how many lines were refused. */
  static int parse(String text, long defaultTimestampMs, Sink sink) {
    int refused = 0;
    int from = 0;
    int n = text.length();
    while (from < n) {
      int end = text.indexOf('\n', from);
      if (end < 0) end = n;
      if (end > from && !parseLine(text, from, end, defaultTimestampMs, sink)) refused++;
      from = end + 1;
    }
    return refused;
  }

  private static final class Cursor {
    int pos;
  }

  /** Reads up to an unescaped character of `stops`; `\` escapes any character of `escapable`. */
  private static String read(String s, Cursor c, int end, String stops, String escapable) {
    StringBuilder out = null;
    int start = c.pos;
    while (c.pos < end) {
      char ch = s.charAt(c.pos);
      if (ch == '\\' && c.pos + 1 < end && escapable.indexOf(s.charAt(c.pos + 1)) >= 0) {
        if (out == null) out = new StringBuilder().append(s, start, c.pos);
        out.append(s.charAt(c.pos + 1));
        c.pos += 2;
        continue;
      }
      if (stops.indexOf(ch) >= 0) break;
      if (out != null) out.append(ch);
      c.pos++;
    }
    return out == null ? s.substring(start, c.pos) : out.toString();
  }

  private static boolean parseLine(String s, int from, int end, long defaultTs, Sink sink) {
    Cursor c = new Cursor();
    c.pos = from;
    String measurement = read(s, c, end, ", ", ", ");
    if (measurement.isEmpty()) return false;
    Map<String, String> labels = new HashMap<>();
    while (c.pos < end && s.charAt(c.pos) == ',') {
      c.pos++;
      String key = read(s, c, end, "=, ", ",= ");
      if (c.pos >= end || s.charAt(c.pos) != '=' || key.isEmpty()) return false;
      c.pos++;
      labels.put(key, read(s, c, end, ", ", ",= "));
    }
    if (c.pos >= end || s.charAt(c.pos) != ' ') return false;
    while (c.pos < end && s.charAt(c.pos) == ' ') c.pos++;
    String[] keys = new String[4];
    double[] values = new double[4];
    int count = 0;
    for (;;) {
      String key = read(s, c, end, "=, ", ",= ");
      if (c.pos >= end || s.charAt(c.pos) != '=' || key.isEmpty()) return false;
      c.pos++;
      if (c.pos < end && s.charAt(c.pos) == '"') {
        c.pos++;
        boolean closed = false;
        while (c.pos < end) {
          char ch = s.charAt(c.pos);
          if (ch == '\\' && c.pos + 1 < end) {
            c.pos += 2;
            continue;
          }
          c.pos++;
          if (ch == '"') {
            closed = true;
            break;
          }
        }
        if (!closed) return false;
      } else {
        String raw = read(s, c, end, ", ", "");
        Double value = fieldValue(raw);
        if (value == null) return false;
        if (count == keys.length) {
          keys = java.util.Arrays.copyOf(keys, count * 2);
          values = java.util.Arrays.copyOf(values, count * 2);
        }
        keys[count] = key;
        values[count++] = value;
      }
      if (c.pos < end && s.charAt(c.pos) == ',') {
        c.pos++;
        continue;
      }
      break;
    }
    while (c.pos < end && s.charAt(c.pos) == ' ') c.pos++;
    long ts = defaultTs;
    if (c.pos < end) {
      String raw = s.substring(c.pos, end).trim();
      try {
        ts = Math.floorDiv(Long.parseLong(raw), 1_000_000L);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    if (count == 0) return false;
    for (int i = 0; i < count; i++) {
      String name = keys[i].equals("value") ? measurement : measurement + "_" + keys[i];
      sink.sample(name, count == 1 ? labels : new HashMap<>(labels), values[i], ts);
    }
    return true;
  }

  private static Double fieldValue(String raw) {
    if (raw.isEmpty()) return null;
    char last = raw.charAt(raw.length() - 1);
    if (last == 'i' || last == 'u') {
      try {
        return (double) Long.parseLong(raw.substring(0, raw.length() - 1));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    switch (raw) {
      case "t": case "T": case "true": case "True": case "TRUE":
        return 1.0;
      case "f": case "F": case "false": case "False": case "FALSE":
        return 0.0;
      default:
        break;
    }
    try {
      double v = Double.parseDouble(raw);
      return Double.isFinite(v) ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
