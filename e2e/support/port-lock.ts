/**
 * A machine-wide lock on the simulator port 8188 (the extension's default server), so that two e2e runs,
 * benchmarks or demos on one machine wait for each other instead of driving each other's browsers. A lock
 * whose owner process is gone is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
