// Deterministic, realistic-looking inputs: ~1 KiB JSON events with repeated field names and varied values,
// which is what the compression and record benches should see (not zeros, not random bytes).
import type { RecordInput } from '../src/protocol/records/record-types.ts';

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const actions = ['page_view', 'add_to_cart', 'checkout', 'search', 'login', 'logout', 'purchase'];
const countries = ['NL', 'DE', 'FR', 'US', 'GB', 'BR', 'JP', 'IN'];
const agents = ['Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)', 'okhttp/4.12.0'];
const words = (
  'order shipped delivered pending refund customer account premium basket discount voucher address street city ' +
  'warehouse parcel tracking carrier express standard weekend evening morning returned exchanged colour size ' +
  'small medium large cotton leather blue green black white review rating stars helpful quality price fast slow'
).split(' ');

/** One JSON event padded to exactly `size` bytes. */
export function jsonEvent(random: () => number, i: number, size = 1024): Buffer {
  const event = {
    eventId: `evt-${i.toString(16).padStart(8, '0')}-${Math.floor(random() * 1e9).toString(36)}`,
    userId: `user-${Math.floor(random() * 50_000)}`,
    sessionId: Math.floor(random() * 2 ** 48).toString(16),
    action: actions[Math.floor(random() * actions.length)],
    country: countries[Math.floor(random() * countries.length)],
    userAgent: agents[Math.floor(random() * agents.length)],
    amountCents: Math.floor(random() * 100_000),
    at: 1_700_000_000_000 + i * 13,
    items: Array.from({ length: 1 + Math.floor(random() * 6) }, () => ({
      sku: `SKU-${Math.floor(random() * 99_999)}`,
      quantity: 1 + Math.floor(random() * 4),
      priceCents: Math.floor(random() * 20_000),
    })),
    tags: Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * 1e6).toString(36)),
    note: '',
  };
  let text = JSON.stringify(event);
  if (text.length < size) {
    // Free text from a small vocabulary: compresses like real event payloads, unlike random letters.
    const note: string[] = [];
    for (let length = 0; length < size - text.length; length += 1 + note[note.length - 1].length) {
      note.push(words[Math.floor(random() * words.length)]);
    }
    event.note = note.join(' ');
    text = JSON.stringify(event);
  }
  return Buffer.from(text).subarray(0, size);
}

/** `count` records of `size`-byte JSON values with short keys and one header, 1 ms apart. */
export function jsonRecords(count: number, size = 1024, seed = 42): RecordInput[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`user-${Math.floor(random() * 50_000)}`),
    value: jsonEvent(random, i, size),
    headers: [{ key: 'content-type', value: Buffer.from('application/json') }],
    timestamp: 1_700_000_000_000n + BigInt(i),
  }));
}

/** About `bytes` of concatenated 1 KiB JSON events. */
export function jsonBlob(bytes: number, seed = 7): Buffer {
  const random = prng(seed);
  const parts: Buffer[] = [];
  for (let i = 0, size = 0; size < bytes; i++, size += 1024) parts.push(jsonEvent(random, i));
  return Buffer.concat(parts).subarray(0, bytes);
}
