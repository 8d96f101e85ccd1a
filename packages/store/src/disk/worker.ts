import { parentPort, workerData } from 'node:worker_threads';
import { loadZstd } from '../compression/zstd.js';
import { SerialQueue, type WorkerReply, type WorkerRequest } from './background.js';
import { nodeFs } from './fs-layer.js';
import { Maintenance, type MaintenanceSettings } from './maintenance.js';

/**
 * Entry point of the disk store's background worker (built to
 * `dist/worker.js`): runs maintenance requests one at a time and replies.
 */
const settings = workerData as MaintenanceSettings;
const maintenance = new Maintenance(settings, nodeFs, settings.compression ? loadZstd().codec : undefined);
const queue = new SerialQueue();

parentPort?.on('message', (message: WorkerRequest) => {
  void queue.run(async () => {
    let reply: WorkerReply;
    try {
      const result =
        message.method === 'cleanup'
          ? await maintenance.cleanup(message.request)
          : message.method === 'recordUses'
            ? await maintenance.recordUses(message.request)
            : await maintenance.writeStats(message.request);
      reply = { id: message.id, ok: true, result };
    } catch (error) {
      reply = { id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(reply);
  });
});
