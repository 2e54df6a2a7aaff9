// The sync server as a separate process, the way a user or a process manager starts it: waits for its
// "listening" line and collects everything it prints.
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with (code, signal) when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the process (group, when detached) if it still runs. */
  kill(): void;
}

export async function startServerProcess(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; detached?: boolean; timeoutMs?: number },
): Promise<ServerProcess> {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: opts.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(opts.detached ? -child.pid! : child.pid!, 'SIGKILL');
    } catch {}
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const m = /sync server on (http:\/\/\S+) /.exec(out);
    if (m) return { url: m[1]!, child, output: () => out, exited, kill };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`the server did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
