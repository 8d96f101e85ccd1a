import { toFault, type FaultRecord } from '@cache/store';

/**
 * A Redis client error as a fault with a stable code: `OOM` (maxmemory
 * reached with `noeviction`), `ETIMEDOUT` (command timeout: a slow or paused
 * server), `ENOTCONNECTED` (down, reconnecting), `ECONNRESET`/`ECONNREFUSED`
 * (from the socket, or a command lost with its connection), `WRONGPASS`/`NOAUTH` (wrong or
 * missing credentials), `NOPERM` (the ACL user may not run a command or touch a key),
 * `READONLY`/`LOADING`/`MASTERDOWN`/`BUSY` (the server's state), `EREDIS` (any other error reply).
 * The store reports `ESELECT` itself when the server refuses the URL's database.
 */
export function classifyFault(operation: string, error: unknown): FaultRecord {
  const fault = toFault(operation, error);
  const message = fault.message;
  if (fault.code !== 'EUNKNOWN') return fault;
  let code = 'EREDIS';
  if (/^OOM\b/.test(message)) code = 'OOM';
  else if (/timed out/i.test(message)) code = 'ETIMEDOUT';
  else if (/Stream isn't writeable|Connection is closed|not connected|enableOfflineQueue/i.test(message)) code = 'ENOTCONNECTED';
  else if (/max retries per request/i.test(message)) code = 'ECONNRESET'; // the connection dropped with the command in flight
  else if (/^(READONLY|LOADING|MASTERDOWN|BUSY|WRONGPASS|NOAUTH|NOPERM)\b/.test(message)) code = message.split(' ')[0] ?? code;
  return { ...fault, code };
}
