/**
 * A machine-wide lock on the simulator port 8188 (the extension's default server), so that two e2e runs,
 * benchmarks or demos on one machine wait for each other instead of driving each other's browsers. A lock
 * whose owner process is gone is taken over.
 *
 * The lock orders our own runs; it cannot free the port from anything else (the user's own ComfyUI).
 * `assertPortFree` turns that case into one line that names the process and what to do, instead of a raw
 * EADDRINUSE from deep inside a fixture.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type LockOptions = { timeoutMs?: number; log?: (line: string) => void };

export function lockPort(port = 8188, opts: LockOptions = {}): Promise<() => void> {
  return lockNamed(`port-${port}`, opts);
}

/** The same machine-wide lock under any name (e.g. a package folder that one build at a time may write). */
export async function lockNamed(name: string, opts: LockOptions = {}): Promise<() => void> {
  const dir = join(tmpdir(), `comfypulse-${name}.lock`);
  const deadline = Date.now() + (opts.timeoutMs ?? 20 * 60_000);
  let told = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      // The owner has created the folder but not written its pid yet.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${name} is still locked by process ${owner} (${dir})`);
    if (!told) {
      opts.log?.(`waiting for process ${owner} to finish with ${name} (lock ${dir})`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface PortOwner {
  pid: number;
  /** Its command line, shortened. */
  command: string;
}

/** The inodes of sockets listening on `port` (any address), from the kernel's tables (Linux). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no such table (no IPv6, not Linux)
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the tenth field.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** The process listening on `port`, when this machine lets us see it (Linux /proc, same user or root). */
export function portOwner(port: number): PortOwner | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone meanwhile
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        let command = '';
        try {
          command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        } catch {
          // it exited meanwhile: the pid alone still says who it was
        }
        return { pid: Number(pid), command: command.length > 120 ? `${command.slice(0, 117)}...` : command };
      }
    }
  }
  return null;
}

/**
 * Resolves when 127.0.0.1:`port` can be listened on; otherwise rejects with one line that names the process
 * holding it and what to do. `purpose` says what the port is needed for.
 */
export async function assertPortFree(port: number, purpose: string): Promise<void> {
  const probe = createServer();
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(null)));
  });
  if (!error) return;
  if (error.code !== 'EADDRINUSE') throw error;
  const owner = portOwner(port);
  const who = owner
    ? `process ${owner.pid}${owner.command ? ` (${owner.command})` : ''}`
    : 'another process (run `ss -ltnp` to see which)';
  const stop = owner ? `stop it (kill ${owner.pid})` : 'stop it';
  throw new Error(
    `Port ${port} is in use by ${who}; ${purpose}. ${stop[0]!.toUpperCase()}${stop.slice(1)} or run again once the port is free.`,
  );
}
