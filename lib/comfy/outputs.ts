/**
 * The files in a node's UI output (`executed.output`, history `outputs`), for showing them through `/view`.
 * The one reading of an output entry in this repository: the library, the extension's pages and engine, and
 * the sync server's output proxy all use it.
 *
 * Free of zod on purpose: the extension's popup and side panel import it at startup, where parse time is
 * on the 200 ms budget.
 */
import type { NodeId, NodeOutput, OutputFile } from './types';

/** The media lists in a stable order, whatever order the output's keys arrive in (jsonb reorders them). */
const MEDIA_KINDS = ['images', 'gifs', 'video', 'audio', '3d'];

/** One file of a job's outputs, with the node that wrote it and the list it came from. */
export interface JobOutputFile {
  nodeId: NodeId;
  /** `images`, `gifs`, `video`, `audio`, `3d`, or a custom node's own list name. */
  kind: string;
  file: OutputFile;
}

/** An entry `/view` can serve: a non-empty filename; a missing subfolder is '' and a missing type `output`, as there. */
function asOutputFile(entry: unknown): OutputFile | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.filename !== 'string' || e.filename === '') return undefined;
  return {
    ...e,
    filename: e.filename,
    subfolder: typeof e.subfolder === 'string' ? e.subfolder : '',
    type: typeof e.type === 'string' && e.type !== '' ? e.type : 'output',
  };
}

function kindsOf(output: NodeOutput): string[] {
  const others = Object.keys(output).filter((k) => !MEDIA_KINDS.includes(k));
  return [...MEDIA_KINDS.filter((k) => Object.hasOwn(output, k)), ...others];
}

function filesOf(output: NodeOutput | null | undefined): { kind: string; file: OutputFile }[] {
  if (typeof output !== 'object' || output === null) return [];
  const found: { kind: string; file: OutputFile }[] = [];
  for (const kind of kindsOf(output)) {
    const list = output[kind];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const file = asOutputFile(entry);
      if (file) found.push({ kind, file });
    }
  }
  return found;
}

/**
 * The file entries of one node's output: the media lists first (images, gifs, video, audio, 3d), then any
 * other list, each in its own order. Malformed entries and lists of other things (`text`, `animated`) are
 * skipped; extra keys of an entry (`metadata`, `id`, ...) pass through.
 */
export function outputFiles(output: NodeOutput | null | undefined): OutputFile[] {
  return filesOf(output).map((f) => f.file);
}

/** The file entries of every node of a job's outputs, node by node, each node's as `outputFiles` lists them. */
export function jobOutputFiles(outputs: Record<NodeId, NodeOutput | null | undefined>): JobOutputFile[] {
  return Object.entries(outputs).flatMap(([nodeId, output]) =>
    filesOf(output).map((f) => ({ nodeId, ...f })),
  );
}
