/** Loading the real traces and workflows from fixtures/ for the simulator's tests. */
import { readFileSync } from 'node:fs';
import { parseJsonl, type RecordOptions, type TraceLine } from './recorder';

const fixturesDir = new URL('../../fixtures/', import.meta.url);

export type Workflow = RecordOptions['workflow'];

export function loadWorkflow(name: string): Workflow {
  return JSON.parse(readFileSync(new URL(`workflows/${name}.json`, fixturesDir), 'utf8')) as Workflow;
}

export function loadTrace(name: string): TraceLine[] {
  return parseJsonl(readFileSync(new URL(`traces/${name}.jsonl`, fixturesDir), 'utf8'));
}

export function loadJson(relPath: string): unknown {
  return JSON.parse(readFileSync(new URL(relPath, fixturesDir), 'utf8'));
}
