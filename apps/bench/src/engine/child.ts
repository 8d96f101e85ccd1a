import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/bench (dist/ and runners/ are beside each other under it). */
export const benchRoot = path.resolve(here, '..');
export const runnersDirectory = path.join(benchRoot, 'runners');

export interface ChildOptions {
  /** Node flags before the script. */
  nodeArgs?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs `runners/<script>` in a fresh Node process (this Node, `process.execPath`) and parses the
 * JSON line it prints last. The child's environment is this one's without NODE_OPTIONS and
 * WASM_CACHE_* (so nothing leaks in), plus `options.env`.
 */
export async function runChild<T>(script: string, args: string[], options: ChildOptions = {}): Promise<T> {
  // Other work rebuilds the workspace packages' dist/ folders now and then: a child that starts
  // while one is missing fails to import it. Wait and run it again (such a run measured nothing).
  for (let attempt = 1; ; attempt++) {
    try {
      return await runChildOnce<T>(script, args, options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const rebuilding = /ERR_MODULE_NOT_FOUND|Cannot find module/.test(message) && /(\/packages\/[^/]+\/|@cache\/[^/]+\/)(dist|node_modules)\//.test(message);
      if (!rebuilding || attempt >= 20) throw error;
      process.stderr.write(`  (${script}: a workspace package's dist/ is missing, rebuilding? retrying in 5 s)\n`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

function runChildOnce<T>(script: string, args: string[], options: ChildOptions): Promise<T> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS' || key.startsWith('WASM_CACHE_') || key === 'BENCH_USE_CACHE') continue;
    env[key] = value;
  }
  Object.assign(env, options.env ?? {});
  const argv = [...(options.nodeArgs ?? []), path.join(runnersDirectory, script), ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { cwd: benchRoot, env, timeout: options.timeoutMs ?? 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-2000)}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${script}: no JSON result in output:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}
