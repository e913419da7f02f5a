// The two balancers, as the docs recommend them (docs/load-balancers.md): their configs on 127.0.0.1
// ports in a temp folder (generated, or the user's own with placeholders filled in), each started in
// the foreground as a child.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { type Child, startChild, waitForListen } from './processes.js';

export type BalancerKind = 'haproxy-httpchk' | 'haproxy-agent' | 'nginx';

export interface BackendSlot {
  readonly port: number;
  /** The agent-check responder's port (used by `haproxy-agent`). */
  readonly agentPort: number;
  /** Where HAProxy sends its HTTP check, when the probes have a port of their own (lightship's). */
  readonly probePort?: number;
}

export interface BalancerOptions {
  readonly kind: BalancerKind;
  /** Folder the config, pid file, logs and sockets go in. */
  readonly dir: string;
  /** Where clients connect, on 127.0.0.1. */
  readonly port: number;
  readonly backends: readonly BackendSlot[];
  /** Health check interval, in ms (HAProxy `inter`, and `agent-inter`). */
  readonly checkIntervalMs: number;
  /** Failed checks that take a backend out (HAProxy `fall`). */
  readonly fall: number;
  /** nginx only: `false` leaves out `proxy_next_upstream` (to show what it is worth). */
  readonly nextUpstream?: boolean;
  /** HAProxy's `option httpchk` path (`haproxy-httpchk`); undefined: a plain TCP connect check. */
  readonly checkPath?: string | undefined;
  /**
   * The user's own config file instead of the generated one: `{{front}}` becomes the port clients
   * connect to, `{{backend0}}`, `{{backend1}}`... the instances' ports, `{{dir}}` the run's folder.
   */
  readonly template?: string | undefined;
}

/** Which binary a kind runs. */
export function binaryOf(kind: BalancerKind): 'haproxy' | 'nginx' {
  return kind === 'nginx' ? 'nginx' : 'haproxy';
}

/** The binary's path, or undefined when it is not installed (it lives in /usr/sbin on Debian). */
export function findBinary(name: 'haproxy' | 'nginx'): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return found.trim().split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}

/** HAProxy's socket for `show stat` and the like. */
export function haproxySocket(dir: string): string {
  return path.join(dir, 'admin.sock');
}

export function haproxyConfig(options: BalancerOptions): string {
  const agent = options.kind === 'haproxy-agent';
  const servers = options.backends.map((slot, index) => {
    const agentCheck = agent ? ` agent-check agent-port ${slot.agentPort} agent-inter ${options.checkIntervalMs}` : '';
    const checkPort = slot.probePort === undefined ? '' : ` port ${slot.probePort}`;
    return `  server b${index} 127.0.0.1:${slot.port} check${checkPort}${agentCheck}`;
  });
  return [
    'global',
    `  stats socket ${haproxySocket(options.dir)} mode 600 level admin`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    // Shorter than the backends' keepAliveTimeout (Node's default 5 s): HAProxy closes first.
    '  timeout http-keep-alive 4s',
    'frontend fe',
    `  bind 127.0.0.1:${options.port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    '  http-reuse always',
    // With agent-check the health check is a plain TCP connect; the agent says "drain".
    ...(agent || options.checkPath === undefined ? [] : [`  option httpchk GET ${options.checkPath}`]),
    `  default-server inter ${options.checkIntervalMs} fall ${options.fall} rise 2`,
    ...servers,
    '',
  ].join('\n');
}

export function nginxConfig(options: BalancerOptions): string {
  const dir = options.dir;
  const servers = options.backends.map((slot) => `    server 127.0.0.1:${slot.port} max_fails=1 fail_timeout=2s;`);
  const next =
    options.nextUpstream === false
      ? ['      proxy_next_upstream off;']
      : [
          '      proxy_next_upstream error timeout http_502 http_503;',
          '      proxy_next_upstream_tries 3;',
          '      proxy_next_upstream_timeout 5s;',
        ];
  return [
    'worker_processes 1;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (k) => `  ${k}_temp_path ${path.join(dir, `${k}_temp`)};`,
    ),
    '  upstream be {',
    ...servers,
    '    keepalive 32;',
    // Shorter than the backends' keepAliveTimeout (Node's default 5 s): nginx closes first.
    '    keepalive_timeout 4s;',
    '  }',
    '  server {',
    `    listen 127.0.0.1:${options.port};`,
    '    location / {',
    '      proxy_pass http://be;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_connect_timeout 1s;',
    ...next,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The user's config with its placeholders filled in. */
export function fillTemplate(text: string, options: BalancerOptions): string {
  return text
    .replaceAll('{{front}}', String(options.port))
    .replaceAll('{{dir}}', options.dir)
    .replace(/\{\{backend(\d+)\}\}/g, (whole, index: string) => {
      const slot = options.backends[Number(index)];
      if (slot === undefined)
        throw new RangeError(`the balancer config names ${whole}, but only ${options.backends.length} instances run`);
      return String(slot.port);
    });
}

/** Writes the config and starts the balancer in the foreground; resolves once it accepts connections. */
export async function startBalancer(options: BalancerOptions, binary: string): Promise<Child> {
  let child: Child;
  const own =
    options.template === undefined ? undefined : fillTemplate(readFileSync(options.template, 'utf8'), options);
  if (options.kind === 'nginx') {
    const conf = path.join(options.dir, 'nginx.conf');
    writeFileSync(conf, own ?? nginxConfig(options));
    // -e: nginx opens its default error log before it reads the config; keep it in the folder too.
    child = startChild('nginx', binary, [
      '-p',
      options.dir,
      '-c',
      conf,
      '-e',
      path.join(options.dir, 'error.log'),
      '-g',
      'daemon off;',
    ]);
  } else {
    const cfg = path.join(options.dir, 'haproxy.cfg');
    writeFileSync(cfg, own ?? haproxyConfig(options));
    child = startChild('haproxy', binary, ['-f', cfg, '-db']);
  }
  if (!(await waitForListen(options.port, child, 10_000))) {
    await child.stop('SIGKILL');
    throw new Error(
      `${child.name} did not accept connections on ${options.port} within 10000 ms:\n${child.lines.join('\n')}`,
    );
  }
  return child;
}

/** One `show stat` line per server of backend `be`: name, status and HAProxy's counters. */
export interface ServerStat {
  readonly name: string;
  readonly status: string;
  /** Connections HAProxy opened to it (`connect`), and requests it sent on reused ones (`reuse`). */
  readonly connect: number;
  readonly reuse: number;
  /** HAProxy's last check result (`L7OK`, `L7STS`: a non-2xx answer, `L4CON`: refused...), without its `* ` prefix. */
  readonly checkStatus: string;
}

export function haproxyStats(dir: string): Promise<ServerStat[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(haproxySocket(dir));
    let text = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('haproxy stats socket: no answer within 2000 ms')));
    socket.once('connect', () => socket.write('show stat\n'));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      const [header = '', ...rows] = text.split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const at = (name: string): number => columns.indexOf(name);
      resolve(
        rows
          .map((row) => row.split(','))
          .filter((cells) => cells[0] === 'be' && cells[1] !== 'BACKEND' && cells[1] !== undefined)
          .map((cells) => ({
            name: cells[1] ?? '',
            status: cells[at('status')] ?? '',
            connect: Number(cells[at('connect')] ?? 0),
            reuse: Number(cells[at('reuse')] ?? 0),
            checkStatus: (cells[at('check_status')] ?? '').replace(/^\* /, ''),
          })),
      );
    });
  });
}
