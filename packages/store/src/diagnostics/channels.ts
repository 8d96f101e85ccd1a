import diagnostics from 'node:diagnostics_channel';

/** Names of the `node:diagnostics_channel` channels stores publish on. */
export const CHANNELS = {
  /** A `get` returned bytes. Message: {@link HitMessage}. */
  hit: 'cache:store:hit',
  /** A `get` returned undefined. Message: {@link MissMessage}. */
  miss: 'cache:store:miss',
  /** A `put` stored a value. Message: {@link WriteMessage}. */
  write: 'cache:store:write',
  /** A damaged entry was found and removed. Message: {@link CorruptMessage}. */
  corrupt: 'cache:store:corrupt',
  /** Entries were evicted to honour the limits. Message: {@link EvictMessage}. */
  evict: 'cache:store:evict',
  /** A fault (I/O error) was absorbed. Message: {@link FaultMessage}. */
  fault: 'cache:store:fault',
} as const;

/** Fields every message carries. */
export interface ChannelMessageBase {
  /** The store's kind (`'memory'`, `'disk'`). */
  readonly store: string;
  /** The store's namespace or directory, when it has one. */
  readonly location?: string;
}
/** Published on `cache:store:hit`. */
export interface HitMessage extends ChannelMessageBase { readonly key: string; readonly bytes: number }
/**
 * Published on `cache:store:miss`. `reason`: `absent`; `corrupt` (damaged,
 * removed); `fault` (an I/O error); `codec` (compressed, and no codec to
 * read it in this process; kept); `too-large` (larger than this store's
 * capacity or entry limit, written by a store of a larger one: not read,
 * kept); `other-version` (stored in a format of another version of the
 * store, such as a newer Redis manifest format: not read, kept, not counted
 * as damage).
 */
export interface MissMessage extends ChannelMessageBase {
  readonly key: string;
  readonly reason: 'absent' | 'corrupt' | 'fault' | 'codec' | 'too-large' | 'other-version';
}
/** Published on `cache:store:write`. */
export interface WriteMessage extends ChannelMessageBase { readonly key: string; readonly bytes: number; readonly storedBytes: number }
/** Published on `cache:store:corrupt`. */
export interface CorruptMessage extends ChannelMessageBase { readonly key: string; readonly reason: string }
/** Published on `cache:store:evict`. */
export interface EvictMessage extends ChannelMessageBase { readonly entries: number; readonly bytes: number; readonly trigger: string }
/** Published on `cache:store:fault`. */
export interface FaultMessage extends ChannelMessageBase {
  readonly operation: string;
  readonly code: string;
  readonly message: string;
  readonly path?: string;
}

const hit = diagnostics.channel(CHANNELS.hit);
const miss = diagnostics.channel(CHANNELS.miss);
const write = diagnostics.channel(CHANNELS.write);
const corrupt = diagnostics.channel(CHANNELS.corrupt);
const evict = diagnostics.channel(CHANNELS.evict);
const fault = diagnostics.channel(CHANNELS.fault);

/** Publishers that build the message only when someone listens (exported as `publishStoreEvent` for store backends in other packages). */
export const publish = {
  hit(message: () => HitMessage): void {
    if (hit.hasSubscribers) hit.publish(message());
  },
  miss(message: () => MissMessage): void {
    if (miss.hasSubscribers) miss.publish(message());
  },
  write(message: () => WriteMessage): void {
    if (write.hasSubscribers) write.publish(message());
  },
  corrupt(message: () => CorruptMessage): void {
    if (corrupt.hasSubscribers) corrupt.publish(message());
  },
  evict(message: () => EvictMessage): void {
    if (evict.hasSubscribers) evict.publish(message());
  },
  fault(message: () => FaultMessage): void {
    if (fault.hasSubscribers) fault.publish(message());
  },
};
