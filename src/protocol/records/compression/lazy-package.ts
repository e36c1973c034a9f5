// Codec packages are loaded on first use, not on import: `seqlog/protocol` and `seqlog/client` then load on any
// installation, and a codec whose native binary is missing for this platform (an optional dependency npm did not
// install) fails only the batches that use it, with UNSUPPORTED_COMPRESSION_TYPE and a message saying what to do.
// Loading is synchronous (`require` of the packages' CommonJS entry points) because compression sits on
// synchronous paths: the broker's batch validation and the client's batch encoder.
import { createRequire } from 'node:module';
import { ErrorCode } from '../../errors/error-table.ts';
import { RecordBatchError } from '../record-batch-error.ts';

const requirePackage = createRequire(import.meta.url);

/** A loader for `packageName` that loads it once; when it cannot be loaded every call throws the same clear error. */
export function lazyPackage<T>(codecName: string, packageName: string): () => T {
  let loaded: T | undefined;
  let failure: RecordBatchError | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    if (failure === undefined) {
      try {
        loaded = requirePackage(packageName) as T;
        return loaded;
      } catch (error) {
        failure = new RecordBatchError(
          ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
          `${codecName} compression is unavailable: package '${packageName}' could not be loaded (${(error as Error).message}). ` +
            `Reinstall seqlog with npm so that the prebuilt binary for this platform (${process.platform}-${process.arch}) is installed.`,
          { cause: error },
        );
      }
    }
    throw failure;
  };
}
