// Who is appending decides how much producer state checks (Kafka's `AppendOrigin`):
//   client       a Produce request: epoch and sequence checks, duplicate detection
//   coordinator  transaction markers and coordinator writes: epoch (and coordinator epoch) checks only
//   replication  replaying what is already in the log (recovery): nothing is rejected, problems are logged
export const AppendOrigin = {
  client: 'CLIENT',
  coordinator: 'COORDINATOR',
  replication: 'REPLICATION',
} as const;
export type AppendOrigin = (typeof AppendOrigin)[keyof typeof AppendOrigin];
