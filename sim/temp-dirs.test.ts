// A simulator owns one folder under the system's temp folder (temp, input and, by default, output) and
// deletes it on close: test runs start hundreds of simulators, and each used to leave its folder behind.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from './index';

describe('simulator folders', () => {
  it('deletes its temp folder, default output included, on close', async () => {
    const sim = await startSimulator({ port: 0 });
    writeFileSync(path.join(sim.outputDir, 'ComfyUI_00001_.png'), 'x');
    expect([existsSync(sim.tempDir), existsSync(sim.outputDir)]).toEqual([true, true]);
    await sim.close();
    expect([existsSync(sim.tempDir), existsSync(sim.outputDir)]).toEqual([false, false]);
  });

  it('keeps an output folder the caller named, and what was saved in it', async () => {
    const mine = mkdtempSync(path.join(tmpdir(), 'sim-output-test-'));
    try {
      const sim = await startSimulator({ port: 0, outputDir: mine });
      writeFileSync(path.join(sim.outputDir, 'kept.png'), 'x');
      await sim.close();
      expect([existsSync(sim.tempDir), existsSync(path.join(mine, 'kept.png'))]).toEqual([false, true]);
    } finally {
      rmSync(mine, { recursive: true, force: true });
    }
  });
});
