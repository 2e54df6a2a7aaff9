/**
 * The simulator's folders and `GET /view`, which serves what SaveImage (output) and PreviewImage (temp)
 * wrote, with ComfyUI's path rules: a `[output]`/`[input]`/`[temp]` suffix on the name wins over `type`,
 * no absolute names or `..`, and a `subfolder` that leaves its folder is a 403.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emptyResponse, type SimResponse } from './http';
import type { ServerDirs } from './prompt-server';

/**
 * A fresh temp base with `temp` and `input` in it; `output` there too unless the caller names one.
 * `removeBase` deletes that base (never a caller's output folder, which lives elsewhere), so a closed
 * simulator leaves nothing behind in the system's temp folder.
 */
export function createDirs(outputDir: string | undefined): ServerDirs & { removeBase(): void } {
  const base = mkdtempSync(path.join(tmpdir(), 'comfy-sim-'));
  const dirs = {
    outputDir: path.resolve(outputDir ?? path.join(base, 'output')),
    tempDir: path.join(base, 'temp'),
    inputDir: path.join(base, 'input'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return { ...dirs, removeBase: () => rmSync(base, { recursive: true, force: true }) };
}

/** ComfyUI wipes its temp folder on start, so previews do not outlive a restart. */
export function resetTempDir(dirs: ServerDirs): void {
  rmSync(dirs.tempDir, { recursive: true, force: true });
  mkdirSync(dirs.tempDir, { recursive: true });
}

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.txt': 'text/plain',
  '.json': 'application/json',
};

/** `GET /view?filename=…[&type=…][&subfolder=…]`. */
export function viewFile(dirs: ServerDirs, q: URLSearchParams): SimResponse {
  if (!q.has('filename')) return emptyResponse(404);
  let filename = q.get('filename')!;
  let dir: string | null = null;
  for (const [suffix, d] of [
    ['[output]', dirs.outputDir],
    ['[input]', dirs.inputDir],
    ['[temp]', dirs.tempDir],
  ] as const) {
    if (filename.endsWith(suffix)) {
      filename = filename.slice(0, -(suffix.length + 1));
      dir = d;
      break;
    }
  }
  if (!filename) return emptyResponse(400);
  if (filename.startsWith('/') || filename.includes('..')) return emptyResponse(400);
  if (dir === null) {
    const type = q.get('type') ?? 'output';
    dir =
      type === 'output'
        ? dirs.outputDir
        : type === 'temp'
          ? dirs.tempDir
          : type === 'input'
            ? dirs.inputDir
            : null;
  }
  if (dir === null) return emptyResponse(400);
  if (q.has('subfolder')) {
    const full = path.resolve(dir, q.get('subfolder')!);
    if (full !== dir && !full.startsWith(dir + path.sep)) return emptyResponse(403);
    dir = full;
  }
  const base = path.basename(filename);
  const file = path.join(dir, base);
  if (!existsSync(file) || !statSync(file).isFile()) return emptyResponse(404);
  const st = statSync(file);
  return {
    status: 200,
    headers: {
      'Content-Type': CONTENT_TYPES[path.extname(base).toLowerCase()] ?? 'application/octet-stream',
      'Content-Disposition': `filename="${base}"`,
      'Accept-Ranges': 'bytes',
      'Last-Modified': st.mtime.toUTCString(),
      Etag: `"${Math.floor(st.mtimeMs * 1e6).toString(16)}-${st.size.toString(16)}"`,
    },
    body: readFileSync(file),
  };
}
