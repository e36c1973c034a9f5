// The client half of fetch sessions (KIP-227), as Kafka's `FetchSessionHandler` keeps it per broker node.
//
// A session starts with a full fetch at epoch 0 (INITIAL_EPOCH) listing every partition; when the broker answers
// with a session id, later fetches are incremental: epoch 1, 2, ... and only the partitions whose fetch offset or
// limits changed since the last request, plus `forgottenTopicsData` for partitions no longer wanted. A broker that
// answers a full fetch with session id 0 (the seqlog broker today, or a full session cache in Kafka) keeps every
// fetch full. FETCH_SESSION_ID_NOT_FOUND / INVALID_FETCH_SESSION_EPOCH, or a failed request, start over with a
// full fetch. An incremental answer lists only partitions with news; the others simply had nothing.
export interface SessionPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly currentLeaderEpoch: number;
  readonly partitionMaxBytes: number;
}

export interface FetchSessionRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** Partitions to put in `topics` (all of them for a full fetch, only changed ones for an incremental one). */
  readonly toSend: readonly SessionPartition[];
  readonly toForget: readonly { topic: string; partition: number }[];
  readonly full: boolean;
}

const INVALID_SESSION_ID = 0;
const INITIAL_EPOCH = 0;
/** FINAL_EPOCH closes a session (sent on close). */
export const FINAL_EPOCH = -1;

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function sameRequest(a: SessionPartition, b: SessionPartition): boolean {
  return a.fetchOffset === b.fetchOffset && a.currentLeaderEpoch === b.currentLeaderEpoch && a.partitionMaxBytes === b.partitionMaxBytes;
}

export class FetchSession {
  private sessionId = INVALID_SESSION_ID;
  private nextEpoch = INITIAL_EPOCH;
  /** What the broker's session holds, as of the last request the broker accepted. */
  private sessionPartitions = new Map<string, SessionPartition>();
  private pending: Map<string, SessionPartition> | null = null;

  /** Builds the next request for `wanted`; call `handleResponse` or `handleError` with its outcome. */
  build(wanted: readonly SessionPartition[]): FetchSessionRequest {
    const next = new Map<string, SessionPartition>();
    for (const partition of wanted) next.set(keyOf(partition.topic, partition.partition), partition);
    this.pending = next;
    if (this.sessionId === INVALID_SESSION_ID || this.nextEpoch === INITIAL_EPOCH) {
      return { sessionId: this.sessionId, sessionEpoch: INITIAL_EPOCH, toSend: wanted, toForget: [], full: true };
    }
    const toSend: SessionPartition[] = [];
    const toForget: { topic: string; partition: number }[] = [];
    for (const [key, partition] of next) {
      const previous = this.sessionPartitions.get(key);
      if (previous === undefined || !sameRequest(previous, partition)) toSend.push(partition);
    }
    for (const [key, partition] of this.sessionPartitions) if (!next.has(key)) toForget.push({ topic: partition.topic, partition: partition.partition });
    return { sessionId: this.sessionId, sessionEpoch: this.nextEpoch, toSend, toForget, full: false };
  }

  /**
   * Takes in the answer's top-level error code and session id. Returns false when the answer is a session error
   * and its partitions must be ignored (the next request is full).
   */
  handleResponse(request: FetchSessionRequest, errorCode: number, responseSessionId: number): boolean {
    const accepted = this.pending ?? new Map<string, SessionPartition>();
    this.pending = null;
    if (errorCode !== 0) {
      // FETCH_SESSION_ID_NOT_FOUND (70), INVALID_FETCH_SESSION_EPOCH (71), or any other top-level error: the
      // session is gone or out of step; a full fetch re-creates it (FetchSessionHandler.handleResponse).
      this.reset(errorCode === 70 ? INVALID_SESSION_ID : this.sessionId);
      return false;
    }
    if (request.full) {
      if (responseSessionId === INVALID_SESSION_ID) {
        // No session was created: keep sending full fetches that ask for one.
        this.reset(INVALID_SESSION_ID);
      } else {
        this.sessionId = responseSessionId;
        this.nextEpoch = INITIAL_EPOCH + 1;
        this.sessionPartitions = accepted;
      }
      return true;
    }
    if (responseSessionId === INVALID_SESSION_ID) {
      // The broker closed the session on an incremental request.
      this.reset(INVALID_SESSION_ID);
      return true;
    }
    this.sessionPartitions = accepted;
    this.nextEpoch = this.nextEpoch === 2147483647 ? 1 : this.nextEpoch + 1;
    return true;
  }

  /** A failed request: whether the broker saw it is unknown, so the next fetch is full (`handleError`). */
  handleError(): void {
    this.pending = null;
    this.reset(this.sessionId);
  }

  /** The session id to close on shutdown, or null when there is none. */
  get openSessionId(): number | null {
    return this.sessionId === INVALID_SESSION_ID ? null : this.sessionId;
  }

  private reset(sessionId: number): void {
    // Epoch 0 with the old session id asks the broker to close that session and create a new one.
    this.sessionId = sessionId;
    this.nextEpoch = INITIAL_EPOCH;
    this.sessionPartitions = new Map();
  }
}
