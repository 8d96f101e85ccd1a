import { describe, expect, it } from 'vitest';
import { runStoreConformance } from '../src/conformance/index.js';
import { configFor, tempDirectory } from './helpers.js';
import {
  DiskStore,
  MemoryStore,
  SignedStore,
  TieredStore,
  sealEnvelope,
  type PutResult,
  type Store,
} from '../src/index.js';

const SECRET = 'an-example-signing-key-of-32-bytes!!';
const OTHER_SECRET = 'another-signing-key-also-32-bytes-long';

runStoreConformance('TieredStore (memory, memory, memory)', () =>
  new TieredStore({ tiers: [new MemoryStore({ maxEntries: 1000 }), new MemoryStore({ maxEntries: 1000 }), new MemoryStore({ maxEntries: 1000 })] }),
);
runStoreConformance('TieredStore (memory, then a signed memory store, which cannot peek)', () =>
  new TieredStore({ tiers: [new MemoryStore({ maxEntries: 1000 }), new SignedStore(new MemoryStore({ maxEntries: 1000 }), { signingKey: SECRET })] }),
);
runStoreConformance('SignedStore (memory)', () => new SignedStore(new MemoryStore({ maxEntries: 1000 }), { signingKey: SECRET }));
runStoreConformance('SignedStore (explicitly unsigned)', () => new SignedStore(new MemoryStore({ maxEntries: 1000 }), { allowUnsigned: true }));

/** A store whose put can be held until released, and can be made to fail. */
class GatedStore extends MemoryStore {
  gate: Promise<void> | undefined;
  fail = false;
  puts = 0;

  override async put(key: string, value: Uint8Array): Promise<PutResult> {
    this.puts++;
    if (this.gate) await this.gate;
    if (this.fail) return { stored: false, reason: 'remote is down' };
    return super.put(key, value);
  }
}

function text(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value).toString('utf8');
}

describe('TieredStore', () => {
  it('writes the remote tier in the background without blocking put, and flush waits for it', async () => {
    const remote = new GatedStore();
    let release = (): void => undefined;
    remote.gate = new Promise((resolve) => (release = resolve));
    const fast = new MemoryStore();
    const store = new TieredStore({ tiers: [fast, remote] });
    expect(await store.put('k', Buffer.from('value'))).toEqual({ stored: true });
    expect(text(await fast.get('k'))).toBe('value');
    expect(await remote.has('k')).toBe(false);
    expect(store.pendingWrites).toBe(1);
    release();
    await store.flush();
    expect(store.pendingWrites).toBe(0);
    expect(text(await remote.get('k'))).toBe('value');
    await store.close();
  });

  it('peeks without copying anything up, until a tier that cannot peek: that one is read and written back, as by get', async () => {
    const memory = new MemoryStore();
    const disk = new MemoryStore();
    const remote = new SignedStore(new MemoryStore(), { signingKey: SECRET });
    expect((remote as Store).peek).toBeUndefined();
    await disk.put('on-disk', Buffer.from('from the disk'));
    await remote.put('remote', Buffer.from('from remote'));
    const store = new TieredStore({ tiers: [memory, disk, remote] });
    expect(text(await store.peek('on-disk', 4))).toBe('from');
    expect(text(await store.peek('remote', 4))).toBe('from');
    expect(await store.peek('nowhere', 4)).toBeUndefined();
    await store.flush();
    // The disk tier peeked: nothing copied up. The remote one read whole, once, and written back.
    expect(await memory.has('on-disk')).toBe(false);
    expect(text(await memory.get('remote'))).toBe('from remote');
    expect(text(await disk.get('remote'))).toBe('from remote');
    expect(store.tierStats().map((tier) => [tier.hits, tier.writeBacks])).toEqual([[0, 1], [0, 1], [1, 0]]);
    // A tier whose peek throws is a fault, reported, and the next tier is asked.
    const broken = new MemoryStore();
    broken.peek = () => Promise.reject(new Error('the disk is on fire'));
    const faulty = new TieredStore({ tiers: [broken, disk] });
    expect(text(await faulty.peek('on-disk', 4))).toBe('from');
    expect(faulty.stats().errors).toBe(1);
    await faulty.close();
    await store.close();
  });

  it('writes a slower tier hit back to the faster tiers', async () => {
    const memory = new MemoryStore();
    const disk = new MemoryStore();
    const remote = new MemoryStore();
    await remote.put('k', Buffer.from('from remote'));
    const store = new TieredStore({ tiers: [memory, disk, remote] });
    const read = await store.get('k');
    expect(text(read)).toBe('from remote');
    read?.fill(0); // the caller owns what it got; write-backs must not see this
    await store.flush();
    expect(text(await memory.get('k'))).toBe('from remote');
    expect(text(await disk.get('k'))).toBe('from remote');
    expect(store.tierStats().map((tier) => [tier.hits, tier.writeBacks])).toEqual([[0, 1], [0, 1], [1, 0]]);
    expect(text(await store.get('k'))).toBe('from remote');
    expect(store.tierStats()[0]?.hits).toBe(1);
    await store.close();
  });

  it('a write-back queued by a get never overwrites a newer put in a faster tier', async () => {
    const memory = new MemoryStore();
    const middle = new MemoryStore();
    const remote = new MemoryStore();
    await remote.put('k', Buffer.from('old'));
    const store = new TieredStore({ tiers: [memory, middle, remote] });
    expect(text(await store.get('k'))).toBe('old'); // a remote hit: write-backs to both faster tiers queued
    expect(await store.put('k', Buffer.from('new'))).toEqual({ stored: true });
    await store.flush();
    expect(text(await memory.get('k'))).toBe('new');
    expect(text(await middle.get('k'))).toBe('new');
    expect(text(await remote.get('k'))).toBe('new');
    expect(text(await store.get('k'))).toBe('new');
    await store.close();
  });

  it('a put waits for a write-back of its key that is already being written', async () => {
    const memory = new MemoryStore();
    const middle = new GatedStore();
    let release = (): void => undefined;
    middle.gate = new Promise((resolve) => (release = resolve));
    const remote = new MemoryStore();
    await remote.put('k', Buffer.from('old'));
    const store = new TieredStore({ tiers: [memory, middle, remote] });
    expect(text(await store.get('k'))).toBe('old');
    // Let the write-backs start: the one into the middle tier stops at its gate, mid-write.
    while (middle.puts === 0) await new Promise((resolve) => setImmediate(resolve));
    middle.gate = undefined; // only the write-back waits at the gate
    const putting = store.put('k', Buffer.from('new'));
    release();
    expect(await putting).toEqual({ stored: true });
    await store.flush();
    expect(text(await middle.get('k'))).toBe('new');
    expect(text(await memory.get('k'))).toBe('new');
    await store.close();
  });

  it('a write-back never overwrites a newer put in a disk tier (reviewer repro)', async () => {
    const directory = tempDirectory();
    try {
      const remote = new MemoryStore();
      await remote.put('k', new Uint8Array(50 * 1024 * 1024).fill(7));
      const disk = await DiskStore.open(configFor(directory.path), { background: 'inline' });
      const store = new TieredStore({ tiers: [new MemoryStore(), disk, remote] });
      expect((await store.get('k'))?.byteLength).toBe(50 * 1024 * 1024);
      await store.put('k', new Uint8Array([2, 2, 2]));
      await store.flush();
      const onDisk = await disk.get('k');
      expect(onDisk?.byteLength).toBe(3);
      expect(Buffer.from(onDisk ?? []).toString('hex')).toBe('020202');
      await store.close();
    } finally {
      directory.remove();
    }
  });

  it('a delete makes a queued write-back skip itself', async () => {
    const memory = new MemoryStore();
    const remote = new GatedStore();
    await remote.put('k', Buffer.from('old'));
    const store = new TieredStore({ tiers: [memory, remote] });
    expect(text(await store.get('k'))).toBe('old');
    expect(await store.delete('k')).toBe(true);
    await store.flush();
    expect(await memory.has('k')).toBe(false);
    await store.close();
  });

  it('keeps working when the remote tier refuses writes, and counts nothing as stored there', async () => {
    const remote = new GatedStore();
    remote.fail = true;
    const store = new TieredStore({ tiers: [new MemoryStore(), remote] });
    expect((await store.put('k', Buffer.from('v'))).stored).toBe(true);
    await store.flush();
    expect(await remote.has('k')).toBe(false);
    expect(text(await store.get('k'))).toBe('v');
    await store.close();
  });

  it('a put no tier stored carries the fault code of a tier that faulted (one that throws included), and none when every tier only refused the value', async () => {
    const refusing = new MemoryStore({ maxBytes: 4 });
    const faulty = new GatedStore();
    faulty.put = async () => ({ stored: false, reason: 'EIO: i/o error', faultCode: 'EIO' });
    const throwing = new MemoryStore();
    throwing.put = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    };
    const value = Buffer.from('more than four bytes');
    const refusedOnly = new TieredStore({ tiers: [refusing, new MemoryStore({ maxBytes: 4 })], backgroundFrom: 2 });
    expect(await refusedOnly.put('k', value)).toEqual({ stored: false, reason: expect.stringMatching(/^no tier stored the value/) });
    const withFault = new TieredStore({ tiers: [refusing, faulty], backgroundFrom: 2 });
    expect(await withFault.put('k', value)).toEqual({ stored: false, reason: expect.stringMatching(/^no tier stored the value \(.*capacity.*; EIO: i\/o error\)$/), faultCode: 'EIO' });
    const withThrow = new TieredStore({ tiers: [throwing], backgroundFrom: 1 });
    expect(await withThrow.put('k', value)).toEqual({ stored: false, reason: expect.stringContaining('ECONNREFUSED'), faultCode: 'ECONNREFUSED' });
    for (const store of [refusedOnly, withFault, withThrow]) await store.close();
  });

  it('applies background writes to one key in order', async () => {
    const remote = new GatedStore();
    let release = (): void => undefined;
    remote.gate = new Promise((resolve) => (release = resolve));
    const store = new TieredStore({ tiers: [new MemoryStore(), remote] });
    for (const value of ['one', 'two', 'three']) await store.put('k', Buffer.from(value));
    release();
    await store.flush();
    expect(text(await remote.get('k'))).toBe('three');
    await store.close();
  });

  it('skips background writes beyond maxPendingBytes and says so', async () => {
    const remote = new GatedStore();
    let release = (): void => undefined;
    remote.gate = new Promise((resolve) => (release = resolve));
    const store = new TieredStore({ tiers: [new MemoryStore(), remote], maxPendingBytes: 10, label: 'pending-test' });
    await store.put('a', new Uint8Array(8));
    await store.put('b', new Uint8Array(8));
    release();
    await store.flush();
    expect(await remote.has('a')).toBe(true);
    expect(await remote.has('b')).toBe(false);
    expect(store.stats().errors).toBe(1);
    await store.close();
  });

  it('closes every tier after flushing', async () => {
    const tiers: Store[] = [new MemoryStore(), new MemoryStore()];
    const store = new TieredStore({ tiers });
    await store.put('k', Buffer.from('v'));
    await store.close();
    await expect(tiers[1]?.get('k')).rejects.toMatchObject({ code: 'ERR_CACHE_STORE_CLOSED' });
  });

  it('rejects bad options', () => {
    expect(() => new TieredStore({ tiers: [] })).toThrow(expect.objectContaining({ code: 'ERR_CACHE_STORE_INVALID_OPTION' }));
    expect(() => new TieredStore({ tiers: [new MemoryStore()], backgroundFrom: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CACHE_STORE_INVALID_OPTION' }));
  });
});

describe('TieredStore: a get that starts while a put or delete of its key is writing', () => {
  const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /** A memory store whose put and delete take a while (a disk, a slow tier); its get is immediate. */
  class SlowStore extends MemoryStore {
    constructor(
      private readonly putMs: number,
      private readonly deleteMs = 0,
    ) {
      super();
    }
    override async put(key: string, value: Uint8Array): Promise<PutResult> {
      await delay(this.putMs);
      return super.put(key, value);
    }
    override async delete(key: string): Promise<boolean> {
      await delay(this.deleteMs);
      return super.delete(key);
    }
  }
  const value = (stored: Uint8Array | undefined): number | undefined => stored?.[0];

  it('does not write back the older value it read from a slower tier over the put', async () => {
    const fast = new SlowStore(20);
    const slow = new MemoryStore();
    await slow.put('k', new Uint8Array([1])); // written by another process, say
    const tiered = new TieredStore({ tiers: [fast, slow] });
    const putting = tiered.put('k', new Uint8Array([2]));
    await delay(5);
    await tiered.get('k'); // misses the fast tier (the put has not landed) and reads the old value below
    await putting;
    await tiered.flush();
    expect(value(await fast.get('k'))).toBe(2);
    expect(value(await tiered.get('k'))).toBe(2);
  });

  it('does not bring a deleted value back', async () => {
    const fast = new MemoryStore();
    const slow = new SlowStore(0, 20);
    await fast.put('k', new Uint8Array([1]));
    await slow.put('k', new Uint8Array([1]));
    const tiered = new TieredStore({ tiers: [fast, slow] });
    const deleting = tiered.delete('k');
    await delay(5);
    await tiered.get('k'); // the fast tier is empty already; the slow one still has it
    await deleting;
    await tiered.flush();
    expect(await fast.get('k')).toBeUndefined();
    expect(await tiered.get('k')).toBeUndefined();
  });
});

describe('SignedStore', () => {
  it('refuses to be created without a key unless unsigned entries are allowed explicitly', () => {
    expect(() => new SignedStore(new MemoryStore(), {})).toThrow(expect.objectContaining({ code: 'ERR_CACHE_STORE_SIGNING_KEY_REQUIRED' }));
    expect(() => new SignedStore(new MemoryStore(), { allowUnsigned: false })).toThrow(expect.objectContaining({ code: 'ERR_CACHE_STORE_SIGNING_KEY_REQUIRED' }));
    expect(new SignedStore(new MemoryStore(), { allowUnsigned: true }).signing).toBe(false);
  });

  it('refuses a short key without printing it', () => {
    let caught: unknown;
    try {
      new SignedStore(new MemoryStore(), { signingKey: 'short-secret' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ERR_CACHE_STORE_INVALID_OPTION' });
    expect(String(caught)).not.toContain('short-secret');
  });

  it('rejects and counts unsigned, wrongly signed, tampered and swapped entries', async () => {
    const shared = new MemoryStore();
    const store = new SignedStore(shared, { signingKey: SECRET });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await shared.put('unsigned', Buffer.from('native code from an attacker'));
      expect(await store.get('unsigned')).toBeUndefined();

      await shared.put('other-key', sealEnvelope(Buffer.from(OTHER_SECRET), 'other-key', Buffer.from('payload')));
      expect(await store.get('other-key')).toBeUndefined();

      await store.put('genuine', Buffer.from('genuine payload'));
      const tampered = await shared.get('genuine');
      if (!tampered) throw new Error('expected the envelope');
      tampered[tampered.byteLength - 1] = (tampered[tampered.byteLength - 1] ?? 0) ^ 1;
      await shared.put('tampered', tampered);
      expect(await store.get('tampered')).toBeUndefined();

      await store.put('a', Buffer.from('value of a'));
      const envelopeOfA = await shared.get('a');
      if (!envelopeOfA) throw new Error('expected the envelope');
      await shared.put('b', envelopeOfA); // a valid entry moved to another key
      expect(await store.get('b')).toBeUndefined();

      expect(text(await store.get('genuine'))).toBe('genuine payload');
      expect(store.rejections()).toEqual({ unsigned: 1, badSignature: 3 });
      expect(store.stats().corruptEntries).toBe(4);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((message) => message.includes('rejected an entry'))).toHaveLength(2);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reads entries written by another process that has the same key', async () => {
    const shared = new MemoryStore();
    await new SignedStore(shared, { signingKey: SECRET }).put('k', Buffer.from('shared'));
    expect(text(await new SignedStore(shared, { signingKey: Buffer.from(SECRET) }).get('k'))).toBe('shared');
    expect(await new SignedStore(shared, { signingKey: OTHER_SECRET }).get('k')).toBeUndefined();
  });
});
