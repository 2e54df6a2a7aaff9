/**
 * The simulator in a child process that reports when each progress frame left it (sim-timed-main.ts).
 * In-process, the simulator and the measuring code would share one event loop, and a frame's arrival at
 * an observer socket is stamped only after the simulator's tick and whatever else the loop had queued:
 * measured here at 5-30 ms late under load, which is the size of the figure being measured.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ROOT } from './build';

const Line = z.union([
  z.object({ ready: z.string() }),
  z.object({ at: z.number(), type: z.string(), promptId: z.string().optional() }),
]);

export interface Departure {
  at: number;
  type: string;
}

export interface TimedSim {
  url: string;
  /** Every send of a progress or progress_state frame about this prompt, to any socket, in order. */
  departures(promptId: string): Departure[];
  close(): Promise<void>;
}

export async function startTimedSim(port: number): Promise<TimedSim> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'e2e/support/sim-timed-main.ts'), String(port)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const sends = new Map<string, Departure[]>();
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the simulator did not start within 30 s: ${stderr}`)),
      30_000,
    );
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (raw) => {
      const parsed = Line.safeParse(JSON.parse(raw));
      if (!parsed.success) return;
      const line = parsed.data;
      if ('ready' in line) {
        clearTimeout(timer);
        resolve(line.ready);
      } else if (line.promptId) {
        const list = sends.get(line.promptId) ?? [];
        list.push({ at: line.at, type: line.type });
        sends.set(line.promptId, list);
      }
    });
  });
  const url = await ready.catch((err: unknown) => {
    child.kill();
    throw err;
  });
  return {
    url,
    departures: (promptId) => sends.get(promptId) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
