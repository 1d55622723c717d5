/**
 * A non-negative 32-bit hash of a partition or batch key, stable across processes: numbers
 * (integers) map to themselves, strings and buffers through FNV-1a, anything else through
 * its JSON text. Used to spread keys over stages; equal keys always land on the same stage.
 */
export function hashKey(key: unknown): number {
  if (typeof key === 'number' && Number.isSafeInteger(key)) return Math.abs(key) % 0x1_0000_0000;
  if (Buffer.isBuffer(key)) return fnv1a(key);
  if (typeof key === 'string') return fnv1aString(key);
  if (key === undefined || key === null) return 0;
  return fnv1aString(
    typeof key === 'bigint' ? key.toString() : (JSON.stringify(key) ?? String(key)),
  );
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fnv1aString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h ^= c & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= c >>> 8;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
