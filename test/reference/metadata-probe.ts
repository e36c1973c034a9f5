// A minimal Metadata round trip over a raw socket, used to decide that a reference broker is ready. It is
// deliberately independent of seqlog's own protocol code, so a bug there cannot make the reference look down.
// Metadata v4 (non-flexible; Kafka 4 still serves it): request = topics (int32 -1 = all) + allow_auto_topic_creation.
import { connect } from 'node:net';

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataSnapshot {
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
}

const metadataApiKey = 3;
const metadataVersion = 4;

function encodeRequest(correlationId: number, clientId: string): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 + 1);
  let at = 0;
  at = body.writeInt16BE(metadataApiKey, at);
  at = body.writeInt16BE(metadataVersion, at);
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(client.length, at);
  at += client.copy(body, at);
  at = body.writeInt32BE(-1, at); // all topics
  body.writeInt8(0, at); // no auto topic creation
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

class Cursor {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const v = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return v;
  }
}

function decodeResponse(frame: Buffer, correlationId: number): MetadataSnapshot {
  const cursor = new Cursor(frame);
  const got = cursor.int32();
  if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
  cursor.int32(); // throttle_time_ms
  const brokers: MetadataBroker[] = [];
  const count = cursor.int32();
  for (let i = 0; i < count; i++) {
    const nodeId = cursor.int32();
    const host = cursor.nullableString() ?? '';
    const port = cursor.int32();
    cursor.nullableString(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = cursor.nullableString();
  const controllerId = cursor.int32();
  return { brokers: brokers.sort((a, b) => a.nodeId - b.nodeId), clusterId, controllerId };
}

/** One Metadata request to host:port; rejects on any connection or protocol error, or after `timeoutMs`. */
export function probeMetadata(host: string, port: number, timeoutMs = 2000): Promise<MetadataSnapshot> {
  return new Promise((resolve, reject) => {
    const correlationId = 1 + Math.floor(Math.random() * 1_000_000);
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error: Error | undefined, value?: MetadataSnapshot): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else if (value) resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`metadata probe to ${host}:${port} timed out`)), timeoutMs);
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => socket.write(encodeRequest(correlationId, 'seqlog-reference-probe')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const all = Buffer.concat(chunks);
      const size = all.readInt32BE(0);
      if (all.length < 4 + size) return;
      try {
        finish(undefined, decodeResponse(all.subarray(4, 4 + size), correlationId));
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.once('close', () => finish(new Error(`connection to ${host}:${port} closed before a response`)));
  });
}
