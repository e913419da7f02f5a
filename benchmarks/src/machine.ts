// What the page says about where it was measured: machine, Node, and the measured packages' versions.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly fdLimit: string;
}

export function machineInfo(fdLimit: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    fdLimit,
  };
}

/** The installed version of a measured package, read from the benchmarks package's node_modules. */
export function installedVersion(benchRoot: string, pkg: string): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(benchRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? '?';
  } catch {
    return 'not installed';
  }
}
