// What the page says about where it was measured: machine, Node, and the measured packages' versions.
import { spawnSync } from 'node:child_process';
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
  /** The open-files limit the children of scenarios with many connections got (`RAISE_OPEN_FILES`). */
  readonly fdLimitRaised?: string;
}

/**
 * A shell prefix that raises the open-files limit as far as `want`, or to the hard limit when the
 * process may not go higher (no CAP_SYS_RESOURCE: the hard limit is then the ceiling).
 */
export function raiseOpenFiles(want: number): string {
  return `ulimit -n ${want} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`;
}

/** This process's open-files limit, as the shell reports it (children inherit it). */
export function openFilesLimit(prefix = ''): string {
  const out = spawnSync('sh', ['-c', `${prefix ? `${prefix}; ` : ''}ulimit -n`], { encoding: 'utf8' });
  return out.stdout.trim() || 'unknown';
}

export function machineInfo(fdLimit: string, fdLimitRaised?: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    fdLimit,
    ...(fdLimitRaised === undefined ? {} : { fdLimitRaised }),
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
