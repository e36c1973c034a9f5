// SCRAM (RFC 5802, with the SHA-256 and SHA-512 variants of RFC 7677 that Kafka offers as SCRAM-SHA-256 and
// SCRAM-SHA-512): the key derivations and message formats both sides need. Pure functions: nonces and salts are
// passed in, so the broker and the client share one implementation and neither imports the other.
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const ScramMechanism = {
  'SCRAM-SHA-256': { hash: 'sha256', type: 1, keyLength: 32 },
  'SCRAM-SHA-512': { hash: 'sha512', type: 2, keyLength: 64 },
} as const;
export type ScramMechanismName = keyof typeof ScramMechanism;

/** Kafka's `ScramMechanism.minIterations` and the bound its controller enforces (`ScramControlManager`). */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export function isScramMechanism(name: string): name is ScramMechanismName {
  return Object.hasOwn(ScramMechanism, name);
}

/** The mechanism by its AlterUserScramCredentials / DescribeUserScramCredentials number (1 and 2), or null. */
export function scramMechanismByType(type: number): ScramMechanismName | null {
  for (const [name, mechanism] of Object.entries(ScramMechanism)) if (mechanism.type === type) return name as ScramMechanismName;
  return null;
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC of the mechanism's hash. */
export function saltedPassword(mechanism: ScramMechanismName, password: string, salt: Buffer, iterations: number): Buffer {
  const { hash, keyLength } = ScramMechanism[mechanism];
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, keyLength, hash);
}

function hmac(mechanism: ScramMechanismName, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(ScramMechanism[mechanism].hash, key).update(data).digest();
}

function h(mechanism: ScramMechanismName, data: Buffer): Buffer {
  return createHash(ScramMechanism[mechanism].hash).update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** What a server keeps of a password: never the password nor the salted password (RFC 5802 section 3). */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

export function credentialFromSaltedPassword(mechanism: ScramMechanismName, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return { salt, iterations, storedKey: h(mechanism, clientKey), serverKey: hmac(mechanism, salted, 'Server Key') };
}

/** `saslname` escaping of RFC 5802 section 5.1 (`=` and `,` in user names). */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function unescapeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** `a=b,c=d` attribute lists; null when malformed. */
export function parseScramAttributes(message: string): Map<string, string> | null {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (match === null) return null;
    attributes.set(match[1], match[2]);
  }
  return attributes;
}

/** The AuthMessage both proofs are computed over. */
export function authMessage(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}

export function clientProof(mechanism: ScramMechanismName, salted: Buffer, message: string): Buffer {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const clientSignature = hmac(mechanism, h(mechanism, clientKey), message);
  return xor(clientKey, clientSignature);
}

export function serverSignature(mechanism: ScramMechanismName, serverKey: Buffer, message: string): Buffer {
  return hmac(mechanism, serverKey, message);
}

/** Server side: does `proof` show knowledge of the password behind `credential`? */
export function verifyClientProof(mechanism: ScramMechanismName, credential: ScramCredential, message: string, proof: Buffer): boolean {
  const clientSignature = hmac(mechanism, credential.storedKey, message);
  if (proof.length !== clientSignature.length) return false;
  const clientKey = xor(proof, clientSignature);
  return timingSafeEqual(h(mechanism, clientKey), credential.storedKey);
}
