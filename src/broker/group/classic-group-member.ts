// One member of a classic group, after Kafka's `ClassicGroupMember`: identity (member id, optional static
// group instance id, KIP-345), the protocols it supports in preference order with their metadata, its timeouts,
// its current assignment, and the JoinGroup/SyncGroup answer it is waiting for, if any.
import type { JoinGroupResponse, SyncGroupResponse } from '../../protocol/messages/generated/index.ts';

export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0);

/** A protocol a member can run (`JoinGroupRequestProtocol`): a name and opaque metadata, e.g. a subscription. */
export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** A JoinGroup answer without the throttle time (the handler adds it). */
export type JoinGroupResult = Omit<JoinGroupResponse, 'throttleTimeMs'>;
/** A SyncGroup answer without the throttle time. */
export type SyncGroupResult = Omit<SyncGroupResponse, 'throttleTimeMs'>;

export interface ClassicGroupMemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  supportedProtocols: readonly GroupProtocol[];
  assignment?: Buffer;
}

export class ClassicGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  supportedProtocols: readonly GroupProtocol[];
  assignment: Buffer;
  /**
   * Joined during the current rebalance and not yet answered. A new member's session timer runs with the
   * new-member join timeout, and it is expired even while it waits for its JoinGroup answer (KIP-394).
   */
  isNew = false;
  /** Completes the member's parked JoinGroup, when there is one. */
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  /** Completes the member's parked SyncGroup, when there is one. */
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;

  constructor(init: ClassicGroupMemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.supportedProtocols = init.supportedProtocols;
    this.assignment = init.assignment ?? EMPTY_ASSIGNMENT;
  }

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /**
   * Whether an expired session timer should spare this member (`hasSatisfiedHeartbeat`): a known member that is
   * parked in JoinGroup or SyncGroup cannot heartbeat on that connection, so the rebalance timeout governs it;
   * a new member has no such excuse.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  /** The metadata this member sent for `protocolName`. */
  metadata(protocolName: string | null): Buffer {
    return this.supportedProtocols.find((protocol) => protocol.name === protocolName)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** The member's most preferred protocol among `candidates` (its vote in `ClassicGroup.selectProtocol`). */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.supportedProtocols.find((protocol) => candidates.has(protocol.name));
    if (choice === undefined) throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
    return choice.name;
  }

  /** Same protocols, same order, same metadata: a rejoin that changes nothing (`ClassicGroupMember.matches`). */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every((protocol, i) => {
      const own = this.supportedProtocols[i];
      return own.name === protocol.name && own.metadata.equals(protocol.metadata);
    });
  }

  /** The same member under a new member id (a static member rejoining, `ClassicGroup.replaceStaticMember`). */
  withMemberId(memberId: string): ClassicGroupMember {
    return new ClassicGroupMember({
      memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.clientId,
      clientHost: this.clientHost,
      rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      sessionTimeoutMs: this.sessionTimeoutMs,
      protocolType: this.protocolType,
      supportedProtocols: this.supportedProtocols,
      assignment: this.assignment,
    });
  }
}
