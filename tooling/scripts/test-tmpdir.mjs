#!/usr/bin/env node
// A temporary folder of a test run's own, removed afterwards, so that running
// the tests leaves nothing in the system's temporary folder: the vitest
// globalSetup every package's vitest.config.ts lists first.
//
// setup:    makes <real temp folder>/vt-<pid>-XXXXXX (mode 1777, as /tmp:
//           some CLI tests run commands as `nobody` in folders below it) and
//           points TMPDIR, TMP and TEMP at it. vitest gives its workers
//           (forks and threads) an environment made from process.env after
//           the global setups ran, so os.tmpdir() in the tests, and in every
//           process they start (producers, hooked processes, redis-server),
//           is inside it. It also removes the folders of earlier runs killed
//           before they could (their vitest is gone and nothing uses them).
// teardown: waits, TEARDOWN_WAIT_MS at most (vitest's teardownTimeout is
//           10 s), for the processes the tests started that still use the
//           folder (detached producers can outlive their test by seconds),
//           then removes it. If some still run, a detached janitor (this
//           file run as a script, holding nothing of vitest's) removes it
//           once they exited, JANITOR_MAX_MS at the latest: a late process
//           can neither fail the teardown nor keep the run waiting.
//           A run that exits without its teardown (Ctrl-C) does the same as
//           it exits, and removes vitest's own folder, which vitest skips then.
//
// Whether tests failed or not, the folder goes: CACHE_TEST_KEEP_TMPDIR=1 keeps
// it (the path is printed) to look at what the tests left there;
// CACHE_TEST_TMPDIR_OFF=1 turns all this off (os.tmpdir() as before).
// The processes using the folder are found through /proc (Linux); elsewhere
// the janitor removes the folder once more after a while.
//
// For a test command that is not vitest:
//   node tooling/scripts/test-tmpdir.mjs run <command> [args...]
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A run folder's name: `vt-`, the pid of the process that made it (vitest's), mkdtemp's six characters. */
const RUN_FOLDER = /^vt-(\d+)-[A-Za-z0-9]{6}$/;
const TEARDOWN_WAIT_MS = 4_000;
const JANITOR_MAX_MS = 180_000;
const POLL_MS = 200;
const VARIABLES = ['TMPDIR', 'TMP', 'TEMP'];
const self = fileURLToPath(import.meta.url);
const hasProc = existsSync('/proc/self/environ');

/**
 * The pids of the processes (but this one) whose environment, command line or
 * working folder names `folder`; not vitest's own fork workers, children of
 * `vitestPid` (vitest stops them after the global teardowns), when given.
 */
function processesUsing(folder, vitestPid) {
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return [];
  }
  const inside = `${folder}/`;
  const users = [];
  for (const pid of pids) {
    try {
      const environ = `${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {}
      if (!(environ.includes(`${folder}\0`) || environ.includes(inside) || cmdline.includes(folder) || cwd === folder || cwd.startsWith(inside))) continue;
      if (vitestPid !== undefined && cmdline.includes('/vitest/dist/workers/')) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === vitestPid) continue;
      }
      users.push(Number(pid));
    } catch {
      // Gone, or not this user's to read.
    }
  }
  return users;
}

/** Removes `folder`; says whether it is gone. */
function remove(folder) {
  try {
    rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch {
    // A folder a test made unreadable or read-only (and left so as it failed), or a process still writing into it.
    try {
      writable(folder);
      rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // The janitor tries again.
    }
  }
  return !existsSync(folder);
}

/** Gives this user the folders below `folder` to remove entries from, as far as it can. */
function writable(folder) {
  try {
    chmodSync(folder, 0o700);
    for (const entry of readdirSync(folder, { withFileTypes: true })) if (entry.isDirectory()) writable(join(folder, entry.name));
  } catch {}
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Leaves `folder` to a detached janitor process, which this process never waits for. */
function startJanitor(folder, realTmp) {
  try {
    const child = spawn(process.execPath, [self, 'janitor', folder, String(process.pid)], {
      cwd: realTmp,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: realTmp, TMP: realTmp, TEMP: realTmp },
    });
    child.on('error', () => {});
    child.unref();
  } catch {
    // The next run's setup removes the folder.
  }
}

/** Removes the run folders of earlier runs whose process is gone, a minute old at least, that no process uses. */
function sweepStale(realTmp) {
  let names;
  try {
    names = readdirSync(realTmp);
  } catch {
    return;
  }
  for (const name of names) {
    const match = RUN_FOLDER.exec(name);
    if (!match) continue;
    const folder = join(realTmp, name);
    try {
      const stat = lstatSync(folder);
      if (!stat.isDirectory() || (process.getuid !== undefined && stat.uid !== process.getuid())) continue;
      if (alive(Number(match[1])) || Date.now() - stat.mtimeMs < 60_000 || processesUsing(folder).length > 0) continue;
      remove(folder);
    } catch {}
  }
}

/** vitest's own folder (transformed modules; made before this setup ran, so in the real temporary folder). */
function vitestFolder(project, realTmp) {
  try {
    const folder = project?.tmpDir;
    if (typeof folder === 'string' && /^[\w-]{21}$/.test(basename(folder)) && realpathSync(dirname(folder)) === realTmp) return folder;
  } catch {}
  return undefined;
}

/**
 * The globalSetup: makes the run folder and points the temporary-folder
 * variables at it; returns the teardown.
 *
 * @param {import('vitest/node').TestProject} [project]
 */
export async function setup(project) {
  if (process.env.CACHE_TEST_TMPDIR_OFF === '1') return undefined;
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  const realTmp = realpathSync(tmpdir());
  sweepStale(realTmp);
  // Its real path: a producer removes its own working folder only when its parent is realpath(os.tmpdir()).
  const folder = realpathSync(mkdtempSync(join(realTmp, `vt-${process.pid}-`)));
  chmodSync(folder, 0o1777);
  for (const name of VARIABLES) process.env[name] = folder;
  const keep = process.env.CACHE_TEST_KEEP_TMPDIR === '1';
  const vitestTmp = vitestFolder(project, realTmp);
  let done = false;

  const onExit = () => {
    if (done || keep) return;
    done = true;
    // Synchronous only; vitest's workers may still be there: the janitor waits for them too.
    if (vitestTmp) remove(vitestTmp);
    if (!hasProc || processesUsing(folder).length > 0 || !remove(folder)) startJanitor(folder, realTmp);
  };
  process.once('exit', onExit);

  return async function teardown() {
    process.off('exit', onExit);
    if (done) return;
    done = true;
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    if (keep) {
      console.log(`CACHE_TEST_KEEP_TMPDIR=1: the run's temporary folder is kept: ${folder}`);
      return;
    }
    const deadline = Date.now() + TEARDOWN_WAIT_MS;
    while (processesUsing(folder, process.pid).length > 0 && Date.now() < deadline) await sleep(POLL_MS);
    const running = processesUsing(folder, process.pid);
    if (running.length > 0) console.warn(`test-tmpdir: processes the tests started still use ${folder} (pids ${running.join(', ')}); it is removed once they exit.`);
    if (!remove(folder) || running.length > 0 || !hasProc) startJanitor(folder, realTmp);
  };
}

/** `test-tmpdir.mjs janitor <folder> <pid>`: removes the run folder once no process uses it. */
async function janitor(folder, vitestPid) {
  const deadline = Date.now() + JANITOR_MAX_MS;
  if (!hasProc) await sleep(20_000);
  while (Date.now() < deadline && processesUsing(folder, alive(vitestPid) ? vitestPid : undefined).length > 0) await sleep(POLL_MS);
  remove(folder);
  // Once more, for a process that was making something in it as it went.
  await sleep(1_000);
  remove(folder);
}

/** `test-tmpdir.mjs run <command> [args...]`: the command with a run folder of its own; exits with its code. */
async function run(command, args) {
  const teardown = await setup();
  const child = spawn(command, args, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  const code = await new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`Could not run ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (status, signal) => resolve(status ?? 128 + (constants.signals[signal] ?? 0)));
  });
  await teardown?.();
  process.exit(code);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [task, ...rest] = process.argv.slice(2);
  if (task === 'janitor' && rest[0] !== undefined && RUN_FOLDER.test(basename(rest[0]))) await janitor(rest[0], Number(rest[1]));
  else if (task === 'run' && rest[0] !== undefined) await run(rest[0], rest.slice(1));
  else if (task !== 'janitor') {
    console.error('usage: node tooling/scripts/test-tmpdir.mjs run <command> [args...]');
    process.exit(2);
  }
}
