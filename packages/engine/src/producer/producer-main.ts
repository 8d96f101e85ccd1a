// The producer process: compiles one module with full TurboFan and serializes
// it. V8 flags are process-wide, so this runs in a process of its own.
import { CacheConfig } from '@cache/config';
import { clockMs, createStore, type PutResult } from '@cache/store';
import { compileOptimized, readSerializedHeader } from '@cache/v8';
import { encodeArtifact } from '../artifact/artifact-format.js';
import { RemoteView } from '../remote/remote-view.js';
import { PRODUCER_REMOTE_ENV, remoteFromEnv } from '../remote/remote-env.js';
import { remoteTierAt } from '../remote/register-remote-tier.js';
import type { DeliveryJob, ProducerDelivery, ProducerJob, ProducerReply } from './producer-protocol.js';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { producerFailureNotePath } from './producer-lock.js';
import { leaveRefusalNote } from './refusal-note.js';
import { deserialize } from 'node:v8';

function reply(message: ProducerReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function run(job: ProducerJob | DeliveryJob): Promise<void> {
  if (job.type === 'deliver') {
    await reply(storedReply(job.artifact.byteLength, 0, await writeToStore(job.delivery, job.artifact)));
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
async function writeToStore(delivery: Extract<ProducerDelivery, { kind: 'store' }>, artifact: Uint8Array): Promise<PutResult> {
  const { settings, compression, namespace, key, lockPath } = delivery;
  try {
    const { enabled, ...rest } = settings;
    const config = CacheConfig.default().merge({ ...rest, enabled: enabled !== false }, 'producer job');
    try {
      const store = await createStore(config, { namespace, compression });
      try {
        const faultsBefore = store.stats().errors;
        const result = await store.put(key, artifact);
        // Refused without a fault: the same artifact is refused by every run until these settings change.
        if (!result.stored && lockPath && store.stats().errors === faultsBefore) leaveRefusalNote(lockPath, { reason: result.reason, capacity: config.capacity, compression });
        return result;
      } finally {
        await store.close();
      }
    } finally {
      if (delivery.remoteModule) await writeToRemote(delivery.remoteModule, namespace, key, artifact, config.directory);
    }
  } finally {
    if (lockPath) rmSync(lockPath, { force: true });
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

function start(job: ProducerJob | DeliveryJob): void {
  run(job)
    .then(() => process.exit(0))
    .catch(async (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      leaveFailureNote(job, message);
      await reply({ type: 'error', message, ...(error instanceof HeaderMismatch ? { header: error.header } : {}) });
      process.exit(1);
    });
}

// A detached producer's job comes in a file (see producer-client.ts); an attached one's over IPC.
const jobFile = process.argv[2];
if (jobFile) {
  const job = deserialize(readFileSync(jobFile)) as ProducerJob | DeliveryJob;
  rmSync(jobFile, { force: true });
  start(job);
} else {
  process.once('message', start);
}
