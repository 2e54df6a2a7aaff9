/**
 * Programmatic API of the ComfyUI simulator. Other parts of the project (lib/comfy tests, the sync
 * server tests, Playwright e2e, the demo) start it with `startSimulator()`; see sim/README.md.
 */
export type { Simulator, SimulatorOptions, SimulatorState } from './server';
export { startSimulator } from './server';
