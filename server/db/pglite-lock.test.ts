import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from './database';

describe('PGlite data folder lock', () => {
  it('refuses a folder another live process holds, and frees it on release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-lock-'));
    // The parent of this test process is alive and is not us.
    writeFileSync(join(dir, 'comfypulse.lock'), String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(/in use by process \d+/);
  });

  it('replaces a stale lock of a dead process and removes its own on release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-lock-'));
    writeFileSync(join(dir, 'comfypulse.lock'), '2147483646');
    const release = lockDataDir(dir);
    expect(existsSync(join(dir, 'comfypulse.lock'))).toBe(true);
    release();
    expect(existsSync(join(dir, 'comfypulse.lock'))).toBe(false);
    lockDataDir(dir)();
  });
});
