// The transaction coordinator's state per transactional id (Kafka's `TransactionState`), with the ids stored in
// `TransactionLogValue.TransactionStatus`, the names DescribeTransactions/ListTransactions report, and the legal
// previous states of each (`TransactionState.validPreviousStates`).

export const TransactionState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  /** The transactional id is being expired: never persisted, a tombstone is written instead. */
  Dead: 6,
  /** Transient while an Ongoing transaction is fenced: never persisted, it becomes PrepareAbort at a bumped epoch. */
  PrepareEpochFence: 7,
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

const names: readonly string[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

/** The state's name as Kafka reports it (`TransactionState.stateName`). */
export function transactionStateName(state: TransactionState): string {
  return names[state];
}

/** The state named `name`, or null for a name Kafka does not know (ListTransactions `UnknownStateFilters`). */
export function transactionStateByName(name: string): TransactionState | null {
  const id = names.indexOf(name);
  return id < 0 ? null : (id as TransactionState);
}

/** A stored TransactionStatus; throws on an id no Kafka version writes. */
export function transactionStateById(id: number): TransactionState {
  if (!Number.isInteger(id) || id < 0 || id >= names.length) throw new Error(`unknown transaction status ${id}`);
  return id as TransactionState;
}

const S = TransactionState;
const validPreviousStates: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  [S.Empty]: [S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.Ongoing]: [S.Ongoing, S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.PrepareCommit]: [S.Ongoing],
  [S.PrepareAbort]: [S.Ongoing, S.PrepareEpochFence],
  [S.CompleteCommit]: [S.PrepareCommit],
  [S.CompleteAbort]: [S.PrepareAbort],
  [S.Dead]: [S.Empty, S.CompleteAbort, S.CompleteCommit],
  [S.PrepareEpochFence]: [S.Ongoing],
};

/** Whether Kafka's `TransactionMetadata.prepareTransitionTo` allows `from` -> `to`. */
export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return validPreviousStates[to].includes(from);
}

/** States in which a transactional id may expire (`TransactionState.isExpirationAllowed`). */
export function isExpirationAllowed(state: TransactionState): boolean {
  return state === S.Empty || state === S.CompleteCommit || state === S.CompleteAbort;
}
