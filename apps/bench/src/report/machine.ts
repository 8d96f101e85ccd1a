import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The machine and runtime a report was measured on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  arch: string;
  /** 1-minute load average when the run started (the machine is shared). */
  loadAverageAtStart: number;
}

function osDescription(): string {
  try {
    const release = execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).trim();
    if (release) return `${release} (${os.platform()} ${os.release()})`;
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osDescription(),
    node: process.version,
    v8: process.versions.v8,
    arch: process.arch,
    loadAverageAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function machineMarkdown(machine: MachineInfo): string {
  return [
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores (${machine.arch})`,
    `- Memory: ${machine.memoryGiB} GiB`,
    `- OS: ${machine.os}`,
    `- Node ${machine.node} (V8 ${machine.v8})`,
    `- 1-minute load average at start: ${machine.loadAverageAtStart} (shared machine: expect noise)`,
  ].join('\n');
}
