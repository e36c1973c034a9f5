// Kafka's on-disk file naming (`LogFileUtils`): a segment's files are named by its base offset, zero-padded to
// 20 digits, so that a directory listing sorts them in offset order.

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const TRANSACTION_INDEX_FILE_SUFFIX = '.txnindex';
/** Written next to a file being replaced atomically; a leftover one is garbage from a crash. */
export const TEMP_FILE_SUFFIX = '.tmp';
/** A file on its way out: removed off the event loop, or at the next load after a crash. */
export const DELETED_FILE_SUFFIX = '.deleted';

export function offsetFileName(offset: bigint, suffix: string): string {
  return offset.toString().padStart(20, '0') + suffix;
}

/** The base offset encoded in a segment file name, or null when the name is not one of ours. */
export function offsetFromFileName(name: string, suffix: string): bigint | null {
  if (!name.endsWith(suffix)) return null;
  const digits = name.slice(0, name.length - suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  return BigInt(digits);
}
