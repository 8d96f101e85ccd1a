// The producer process: compiles one module with full TurboFan and serializes
// it. V8 flags are process-wide, so this runs in a process of its own.
import { CacheConfig } from '@cache/config';
import { clockMs, createStore, type PutResult } from '@cache/store';
import { compileOptimized, readSerializedHeader } from '@cache/v8';
import { encodeArtifact } from '../artifact/artifact-format.js';
import { RemoteView } from '../remote/remote-view.js';
import { PRODUCER_REMOTE_ENV, remoteFromEnv } from '../remote/remote-env.js';
import { remoteTierAt } from '../remote/register-remote-tier.js';
import { PRODUCER_CWD_PREFIX, PRODUCER_DEADLINE_ENV, PRODUCER_PRIVATE_CWD_ENV, type DeliveryJob, type ProducerDelivery, type ProducerJob, type ProducerReply } from './producer-protocol.js';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { adoptProducerLock, producerFailureNotePath, type AdoptedProducerLock } from './producer-lock.js';
import { leaveRefusalNote } from './refusal-note.js';
import { largerSnapshotStored } from '../hot/stored-snapshot.js';
import { deserialize } from 'node:v8';

function reply(message: ProducerReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function run(job: ProducerJob | DeliveryJob): Promise<void> {
  if (job.type === 'deliver') {
    // A hot snapshot handed over at exit: a larger one another process stored meanwhile is kept.
    await reply(storedReply(job.artifact.byteLength, 0, await writeToStore(job.delivery, job.artifact, { keepLarger: true })));
    return;
  }
  const started = clockMs();
  const { serialized } = await compileOptimized(job.wireBytes);
  const compileMs = clockMs() - started;
  const header = readSerializedHeader(serialized).hex;
  if (header !== job.expectedHeader) throw new HeaderMismatch(header, job);
  const artifact = encodeArtifact({ tier: 'full', fingerprintId: job.fingerprintId, compileMs, moduleHash: job.moduleHash, payload: serialized });
  if (job.delivery.kind === 'parent') {
    await reply({ type: 'artifact', artifact, compileMs });
    return;
  }
  const result = await writeToStore(job.delivery, artifact);
  if (!result.stored) leaveFailureNote(job, `the store did not take the artifact: ${result.reason}`);
  await reply(storedReply(artifact.byteLength, compileMs, result));
}

/** The answer after writing an artifact through the store. */
function storedReply(bytes: number, compileMs: number, result: PutResult): ProducerReply {
  return { type: 'stored', bytes, compileMs, stored: result.stored, ...(result.stored ? {} : { reason: result.reason }) };
}

/**
 * Writes an artifact through the store the parent uses, and to the remote
 * tier when there is one, then removes the lock file if there is one: the
 * lock covers the whole production, so it is gone only once both writes are.
 * A store's refusal that is no fault (an artifact larger than the capacity)
 * is noted beside the lock, so later runs do not produce it again.
 */
async function writeToStore(delivery: Extract<ProducerDelivery, { kind: 'store' }>, artifact: Uint8Array, options: { keepLarger?: boolean } = {}): Promise<PutResult> {
  const { settings, compression, namespace, key, lockPath } = delivery;
  writing = true;
  try {
    const { enabled, ...rest } = settings;
    const config = CacheConfig.default().merge({ ...rest, enabled: enabled !== false }, 'producer job');
    let larger: number | undefined;
    try {
      const store = await createStore(config, { namespace, compression });
      try {
        // A hot snapshot (`keepLarger`) is not written over a larger one of the same module and engine, here nor remotely.
        larger = options.keepLarger ? await largerSnapshotStored(store, key, artifact) : undefined;
        if (larger !== undefined) return { stored: false, reason: `a larger snapshot is stored (${larger} bytes of code)` };
        const faultsBefore = store.stats().errors;
        const result = await store.put(key, artifact);
        // Refused without a fault: the same artifact is refused by every run until these settings change.
        if (!result.stored && lockPath && store.stats().errors === faultsBefore) leaveRefusalNote(lockPath, { reason: result.reason, capacity: config.capacity, compression });
        return result;
      } finally {
        await store.close();
      }
    } finally {
      if (delivery.remoteModule && larger === undefined) await writeToRemote(delivery.remoteModule, namespace, key, artifact, config.directory);
    }
  } finally {
    // Only while it is still this job's: one taken over meanwhile is another producer's.
    if (lockPath) ownLock?.release();
  }
}

/** The lock this producer was started under, while it holds it (see `adoptProducerLock`). */
let ownLock: AdoptedProducerLock | undefined;
/** Set once the artifact is being written: the deadline no longer stops the producer (the store's temporary file would stay). */
let writing = false;
let failed = false;

/**
 * Gives up at the deadline the parent set (its timeout): the parent's timer
 * kills a producer only while the parent lives, and a detached producer left
 * running would hold its lock past the age at which the next process takes it
 * over, and be joined by more. Not once it writes: that is short, and cut off
 * it would leave a temporary file.
 */
function keepDeadline(job: ProducerJob | DeliveryJob): void {
  const deadline = Number(process.env[PRODUCER_DEADLINE_ENV]);
  if (!Number.isFinite(deadline)) return;
  setTimeout(() => {
    // process.exit() would wait for V8's compile threads to finish the very compile given up on (25 s for swc).
    if (!writing) void fail(job, new Error('the producer did not finish within optimizing-compression-task-timeout'), true);
  }, Math.max(0, deadline - Date.now())).unref();
}

/**
 * Removes the working folder of its own this producer was started in (see
 * `producerLaunch`: with V8's logging flags, `--prof`, its logs go there, not
 * into the application's), as it exits. Only a folder of that name in the
 * system's temporary folder.
 */
function removePrivateCwd(): void {
  if (process.env[PRODUCER_PRIVATE_CWD_ENV] !== '1') return;
  const cwd = process.cwd(); // (symbolic links resolved, as the temporary folder's are below)
  try {
    if (dirname(cwd) !== realpathSync(resolve(tmpdir())) || !basename(cwd).startsWith(PRODUCER_CWD_PREFIX)) return;
    rmSync(cwd, { recursive: true, force: true });
  } catch {
    // Best effort: a folder left in the temporary folder.
  }
}

/**
 * Writes an artifact to the hook's remote tier as well, under the key the
 * parent's `RemoteView` would use, with the remote the parent passed in
 * `PRODUCER_REMOTE_ENV`. A failure costs only the sharing: the disk has the
 * artifact. While a hooked process's note in the cache directory says the
 * tier failed recently, it is left alone, as the hooked processes leave it.
 */
async function writeToRemote(module: string, namespace: string, key: string, artifact: Uint8Array, directory: string): Promise<void> {
  try {
    const remote = remoteFromEnv(process.env[PRODUCER_REMOTE_ENV]);
    if (!remote) return;
    const tier = remoteTierAt(remote, module, undefined, directory);
    try {
      await new RemoteView(tier, namespace).put(key, artifact);
    } finally {
      await tier.close();
    }
  } catch {
    // Nobody reads this process's output: the next process compiles or reads the disk as before.
  }
}

/** The producer's code carries another V8 header than the parent expects. */
class HeaderMismatch extends Error {
  constructor(
    readonly header: string,
    job: ProducerJob,
  ) {
    // A header the parent remembered from an earlier process is the likely culprit (a damaged file):
    // removing it makes the next process learn the header from V8 again, even if the parent is gone.
    if (job.rememberedHeaderFile !== undefined) rmSync(job.rememberedHeaderFile, { force: true });
    super(
      `the producer's V8 header ${header} differs from the parent's ${job.expectedHeader}` +
        (job.rememberedHeaderFile === undefined ? ' (different V8 flags?)' : ` (the parent's was remembered in ${job.rememberedHeaderFile}, now removed)`),
    );
  }
}

/**
 * Leaves a failure's reason beside the lock, for the next process that
 * produces this key to say (see `takeProducerFailureNote`): a detached
 * producer's parent may have exited, and nobody reads its output. Best effort:
 * the disk may be what failed.
 */
function leaveFailureNote(job: ProducerJob | DeliveryJob, reason: string): void {
  const lockPath = job.delivery.kind === 'store' ? job.delivery.lockPath : undefined;
  if (lockPath === undefined) return;
  try {
    writeFileSync(producerFailureNotePath(lockPath), reason, { mode: 0o600 });
  } catch {
    // Nowhere to say it: the next process tries again, and meets the same fault itself.
  }
}

/** Ends the producer after a failure: its reason left beside the lock, the lock removed (if still its own), the parent told. */
async function fail(job: ProducerJob | DeliveryJob, error: unknown, now = false): Promise<void> {
  if (failed) return;
  failed = true;
  const message = error instanceof Error ? error.message : String(error);
  leaveFailureNote(job, message);
  ownLock?.release();
  await reply({ type: 'error', message, ...(error instanceof HeaderMismatch ? { header: error.header } : {}) });
  if (now) {
    removePrivateCwd();
    process.kill(process.pid, 'SIGKILL');
  }
  process.exit(1);
}

function start(job: ProducerJob | DeliveryJob): void {
  const lockPath = job.delivery.kind === 'store' ? job.delivery.lockPath : undefined;
  if (lockPath !== undefined) ownLock = adoptProducerLock(lockPath);
  keepDeadline(job);
  run(job)
    .then(() => process.exit(0))
    .catch((error: unknown) => fail(job, error));
}

process.on('exit', removePrivateCwd);
// A detached producer's job comes in a file (see producer-client.ts); an attached one's over IPC.
const jobFile = process.argv[2];
if (jobFile) {
  const job = deserialize(readFileSync(jobFile)) as ProducerJob | DeliveryJob;
  rmSync(jobFile, { force: true });
  start(job);
} else {
  process.once('message', start);
}
