/**
 * How a person recognises a job: the workflow's name when the ComfyUI tab told us, else its first output
 * file, else its output node, and only as a last resort its prompt id. Everything here is remote text and
 * is only ever rendered as React text.
 */

import { jobOutputFiles } from '../../comfy/outputs';
import type { JobRecord } from '../db';

/** A class type that writes or shows a result (SaveImage, PreviewImage, VHS_VideoCombine's "Save", …). */
const OUTPUT_CLASS = /save|preview|output|combine/i;

export interface JobIdentity {
  /** The workflow's name, the first output file or the output node; undefined when nothing is known. */
  title: string | undefined;
  /** The output node's class type or the output file, whichever the title does not already show. */
  detail: string | undefined;
}

/** The first output file's name (files saved to `output` before temporary previews). */
export function firstOutputName(job: Pick<JobRecord, 'outputs'>): string | undefined {
  const files = jobOutputFiles(job.outputs);
  return (files.find((f) => f.file.type === 'output') ?? files[0])?.file.filename;
}

/** The class type of the node that produced the first output, else the graph's likeliest output node. */
export function outputNodeClass(job: Pick<JobRecord, 'outputs' | 'classTypes'>): string | undefined {
  const first = jobOutputFiles(job.outputs)[0];
  if (first && job.classTypes[first.nodeId] !== undefined) return job.classTypes[first.nodeId];
  const ids = Object.keys(job.classTypes).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const outputs = ids.filter((id) => OUTPUT_CLASS.test(job.classTypes[id]!));
  const id = outputs.at(-1);
  return id === undefined ? undefined : job.classTypes[id];
}

function clean(s: string | undefined, max = 120): string | undefined {
  const t = s?.replace(/\s+/g, ' ').trim();
  if (!t) return undefined;
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function jobIdentity(job: Pick<JobRecord, 'workflowName' | 'outputs' | 'classTypes'>): JobIdentity {
  const workflow = clean(job.workflowName);
  const file = clean(firstOutputName(job));
  const node = clean(outputNodeClass(job));
  const title = workflow ?? file ?? node;
  const detail = workflow !== undefined ? (file ?? node) : file !== undefined ? node : undefined;
  return { title, detail };
}

/**
 * A download name for a job's file: its title made safe for every file system, then the short prompt id
 * (two jobs of one workflow must not overwrite each other in the Downloads folder).
 */
export function jobFileName(
  job: Pick<JobRecord, 'workflowName' | 'outputs' | 'classTypes' | 'promptId'>,
  ext: string,
) {
  const title = jobIdentity(job).title?.replace(/\.(png|jpe?g|webp|gif|mp4|webm)$/i, '') ?? 'comfypulse';
  const safe = title
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return `${safe || 'comfypulse'}-${job.promptId.slice(0, 8)}.${ext}`;
}

/** "VAEDecode: CUDA out of memory": what a failed job's row says instead of its output. */
export function errorLine(job: Pick<JobRecord, 'error'>): string | undefined {
  const e = job.error;
  if (!e) return undefined;
  // some nodes already start their message with their own name
  const named = e.nodeType !== undefined && e.nodeType !== '' && !e.message.startsWith(e.nodeType);
  return clean(named ? `${e.nodeType}: ${e.message}` : e.message, 200);
}
