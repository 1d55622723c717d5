/** What the size of a record is made of. */
export interface SizedRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/**
 * Default bound of one chunk: half the broker's default `message.max.bytes` (1 MiB), which
 * caps the record batch of one partition in one produce request.
 */
export const CHUNK_BYTES = 512 * 1024;

/** Bytes a record takes on the wire, near enough: its key, value, headers and framing. */
export function recordBytes(r: SizedRecord): number {
  let n = 70 + byteLength(r.key ?? null) + byteLength(r.value);
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) n += 8 + Buffer.byteLength(k) + byteLength(one ?? null);
  }
  return n;
}

/**
 * Consecutive chunks of `records`, each at most `maxBytes` (a record larger than that goes
 * alone): what one send may carry. kafkajs sends each partition's share of a send as one
 * record batch, and the broker refuses a batch over its `message.max.bytes`
 * (MESSAGE_TOO_LARGE, which no retry can fix), so a large send is split, in order.
 */
export function chunkRecords<T extends SizedRecord>(
  records: readonly T[],
  maxBytes = CHUNK_BYTES,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let size = 0;
  for (const r of records) {
    const bytes = recordBytes(r);
    if (chunk.length > 0 && size + bytes > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(r);
    size += bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function byteLength(v: Buffer | string | null): number {
  if (v === null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}
