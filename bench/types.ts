/** One figure a benchmark reports. `ratio` figures compare two things measured side by side in one run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 2.0x" or ">= 100000". */
  target?: string;
  /** Whether the figure meets its target; undefined when there is no target. */
  ok?: boolean;
  detail?: string;
}

/** Every `bench/*.bench.ts` default-exports one of these; `bench/run.ts` runs them all in one process. */
export type Bench = () => Promise<BenchResult[]>;
