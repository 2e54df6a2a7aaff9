/**
 * `execution.PromptExecutor` + `ExecutionList` + the progress registry of ComfyUI 0.3.64, reduced to
 * what the simulator's nodes need but keeping the observable order of every message:
 *
 *   execution_start → execution_cached → per node: progress_state(running) → executing →
 *   [progress_state → (type-4) → progress → (type-1)]* → executed? → progress_state(finished)
 *   → execution_success | execution_error | execution_interrupted
 *
 * Caching is the "classic" cache: a node whose class, inputs and whole upstream graph match the previous
 * prompt's is reused; entries not present in the new prompt are dropped when it starts.
 */
import { readFileSync } from 'node:fs';
import type { ApiPrompt } from '../lib/comfy/types';
import { type ImageBatch, torchRepr } from './images';
import { NODES, NodeException } from './nodes';
import { PyFloat, pyFloat, pyRepr } from './pyjson';

/** The parts of `PromptServer` the executor talks to. */
export interface ServerPort {
  clientId: string | null;
  lastNodeId: string | null;
  sendSync(event: string, data: unknown, sid: string | null): void;
  /** Binary preview: type 1 when `metadata` is null, else type 4 with that metadata. */
  sendPreview(jpeg: Buffer, sid: string | null, metadata: Record<string, unknown> | null): void;
  supportsPreviewMetadata(sid: string | null): boolean;
}

export interface ExecutorOptions {
  timeScale: number;
  outputDir: string;
  tempDir: string;
}

class InterruptProcessingException extends Error {}
/** Raised inside a stale executor after a simulated restart: unwinds silently. */
export class ExecutorKilled extends Error {}

interface NodeState {
  state: 'pending' | 'running' | 'finished';
  value: number | PyFloat;
  max: number | PyFloat;
}

interface UiEntry {
  meta: Record<string, unknown>;
  output: Record<string, unknown>;
}

type ErrorDetails = {
  node_id: string;
  exception_message?: string;
  exception_type?: string;
  traceback?: string[];
  current_inputs?: Record<string, unknown> | unknown[];
};

const EXECUTION_FRAMES: string[] = JSON.parse(
  readFileSync(new URL('./assets/traceback-execution.json', import.meta.url), 'utf8'),
);

const isLink = (v: unknown): v is [string, number] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'number';

/** `format_value`: primitives as they are, everything else stringified. */
function formatValue(x: unknown): unknown {
  if (x === null || x === undefined) return null;
  if (['number', 'string', 'boolean'].includes(typeof x) || x instanceof PyFloat) return x;
  if (typeof x === 'object' && 'images' in (x as object) && 'width' in (x as object)) {
    return torchRepr(x as ImageBatch);
  }
  return pyRepr(x);
}

export class PromptExecutor {
  private readonly outputs = new Map<string, unknown[]>();
  private readonly ui = new Map<string, UiEntry>();
  private readonly objects = new Map<string, Record<string, unknown>>();
  private interrupted = false;
  killed = false;
  success = true;
  statusMessages: [string, Record<string, unknown>][] = [];
  historyResult: { outputs: Record<string, unknown>; meta: Record<string, unknown> } = {
    outputs: {},
    meta: {},
  };

  constructor(
    private readonly server: ServerPort,
    private readonly opts: ExecutorOptions,
  ) {}

  /** `nodes.interrupt_processing(value)`: a global flag, cleared when the next prompt starts. */
  interruptProcessing(value = true): void {
    this.interrupted = value;
  }

  private checkInterrupt(): void {
    if (this.killed) throw new ExecutorKilled();
    if (this.interrupted) {
      this.interrupted = false; // throw_exception_if_processing_interrupted resets the flag
      throw new InterruptProcessingException();
    }
  }

  private addMessage(event: string, data: Record<string, unknown>, broadcast: boolean): void {
    const full = { ...data, timestamp: Date.now() };
    this.statusMessages.push([event, full]);
    if (this.server.clientId !== null || broadcast) this.server.sendSync(event, full, this.server.clientId);
  }

  async execute(
    prompt: ApiPrompt,
    promptId: string,
    extraData: Record<string, unknown>,
    executeOutputs: string[],
  ) {
    this.interruptProcessing(false);
    const server = this.server;
    // A non-string client_id (e.g. a number) is kept by Python but can never match a socket id.
    const cid = extraData.client_id;
    server.clientId =
      cid === undefined || cid === null
        ? null
        : typeof cid === 'string'
          ? cid
          : `\0unmatchable:${pyRepr(cid)}`;
    this.statusMessages = [];
    this.success = true;
    this.addMessage('execution_start', { prompt_id: promptId }, false);

    // Cache keys: class + inputs + the keys of everything upstream.
    const sigMemo = new Map<string, string>();
    const sig = (id: string): string => {
      const memo = sigMemo.get(id);
      if (memo) return memo;
      const node = prompt[id]!;
      const inputs = Object.keys(node.inputs)
        .sort()
        .map((k) => {
          const v = node.inputs[k];
          return isLink(v) && prompt[v[0]] ? [k, ['LINK', sig(v[0]), v[1]]] : [k, v];
        });
      const s = JSON.stringify([node.class_type, inputs]);
      sigMemo.set(id, s);
      return s;
    };
    const liveKeys = new Set(Object.keys(prompt).map(sig));
    for (const cache of [this.outputs, this.ui]) {
      for (const k of [...cache.keys()]) if (!liveKeys.has(k)) cache.delete(k);
    }
    const liveObjects = new Set(Object.entries(prompt).map(([id, n]) => `${id}\0${n.class_type}`));
    for (const k of [...this.objects.keys()]) if (!liveObjects.has(k)) this.objects.delete(k);

    const isCached = (id: string) => this.outputs.has(sig(id));
    const cachedNodes = Object.keys(prompt).filter(isCached);
    this.addMessage('execution_cached', { nodes: cachedNodes, prompt_id: promptId }, false);

    // Progress registry (comfy_execution/progress.py) with the WebUI handler.
    const progress = new Map<string, NodeState>();
    const ensure = (id: string) => {
      let e = progress.get(id);
      if (!e) {
        e = { state: 'pending', value: 0, max: 1 };
        progress.set(id, e);
      }
      return e;
    };
    const sendProgressState = () => {
      const nodes: Record<string, unknown> = {};
      for (const [id, st] of progress) {
        if (st.state === 'pending') continue;
        nodes[id] = {
          value: st.value,
          max: st.max,
          state: st.state,
          node_id: id,
          prompt_id: promptId,
          display_node_id: id,
          parent_node_id: null,
          real_node_id: id,
        };
      }
      server.sendSync('progress_state', { prompt_id: promptId, nodes }, server.clientId);
    };
    const startProgress = (id: string) => {
      Object.assign(ensure(id), { state: 'running', value: pyFloat(0), max: pyFloat(1) });
      sendProgressState();
    };
    const finishProgress = (id: string) => {
      const e = ensure(id);
      e.state = 'finished';
      e.value = e.max;
      sendProgressState();
    };

    // ExecutionList (comfy_execution/graph.py).
    const pending = new Map<string, true>();
    const blockCount = new Map<string, number>();
    const blocking = new Map<string, Map<string, Set<number>>>();
    const addNode = (start: string) => {
      const stack = [start];
      const links: [string, number, string][] = [];
      while (stack.length > 0) {
        const u = stack.pop()!;
        if (pending.has(u)) continue;
        pending.set(u, true);
        blockCount.set(u, 0);
        blocking.set(u, new Map());
        for (const v of Object.values(prompt[u]!.inputs)) {
          if (!isLink(v)) continue;
          if (!isCached(v[0])) stack.push(v[0]);
          links.push([v[0], v[1], u]);
        }
      }
      for (const [from, socket, to] of links) {
        if (isCached(from)) continue;
        addNode(from);
        const b = blocking.get(from)!;
        if (!b.has(to)) {
          b.set(to, new Set());
          blockCount.set(to, blockCount.get(to)! + 1);
        }
        b.get(to)!.add(socket);
      }
    };
    const isOutput = (id: string) => NODES[prompt[id]!.class_type]!.outputNode;
    const pick = (available: string[]): string => {
      for (const id of available) if (isOutput(id)) return id;
      for (const id of available) for (const b of blocking.get(id)!.keys()) if (isOutput(b)) return id;
      for (const id of available) {
        for (const b of blocking.get(id)!.keys()) {
          for (const b1 of blocking.get(b)?.keys() ?? []) if (isOutput(b1)) return id;
        }
      }
      return available[0]!;
    };
    for (const o of executeOutputs) addNode(o);

    const executed = new Set<string>();
    // all_node_ids() of the output cache: every node of the current prompt, cached or not.
    const currentOutputs = Object.keys(prompt);
    let failed = false;
    while (pending.size > 0) {
      const available = [...pending.keys()].filter((id) => blockCount.get(id) === 0);
      if (available.length === 0) {
        const nodeId = pending.keys().next().value as string;
        this.handleError(promptId, prompt, currentOutputs, executed, {
          node_id: nodeId,
          exception_message: 'Dependency cycle detected',
          exception_type: 'graph.DependencyCycleError',
          traceback: [],
          current_inputs: [],
        });
        failed = true;
        break;
      }
      const nodeId = pick(available);
      const outcome = await this.executeNode(prompt, promptId, extraData, nodeId, sig, executed, {
        startProgress,
        finishProgress,
        update: (value, max, jpeg) => {
          Object.assign(ensure(nodeId), { state: 'running', value, max });
          sendProgressState();
          if (jpeg && server.supportsPreviewMetadata(server.clientId)) {
            server.sendPreview(jpeg, server.clientId, {
              node_id: nodeId,
              prompt_id: promptId,
              display_node_id: nodeId,
              parent_node_id: null,
              real_node_id: nodeId,
            });
          }
        },
      });
      this.success = outcome === null;
      if (outcome !== null) {
        this.handleError(promptId, prompt, currentOutputs, executed, outcome.details, outcome.interrupted);
        failed = true;
        break;
      }
      pending.delete(nodeId);
      for (const b of blocking.get(nodeId)!.keys()) blockCount.set(b, blockCount.get(b)! - 1);
      blocking.delete(nodeId);
    }
    if (!failed) this.addMessage('execution_success', { prompt_id: promptId }, false);

    const outputs: Record<string, unknown> = {};
    const meta: Record<string, unknown> = {};
    for (const id of Object.keys(prompt)) {
      const entry = this.ui.get(sig(id));
      if (entry) {
        outputs[id] = entry.output;
        meta[id] = entry.meta;
      }
    }
    this.historyResult = { outputs, meta };
    server.lastNodeId = null;
  }

  private async executeNode(
    prompt: ApiPrompt,
    promptId: string,
    extraData: Record<string, unknown>,
    id: string,
    sig: (id: string) => string,
    executed: Set<string>,
    progress: {
      startProgress(id: string): void;
      finishProgress(id: string): void;
      update(value: number, max: number, jpeg?: Buffer): void;
    },
  ): Promise<null | { details: ErrorDetails; interrupted: boolean }> {
    const server = this.server;
    const node = prompt[id]!;
    const def = NODES[node.class_type]!;
    if (this.outputs.has(sig(id))) {
      if (server.clientId !== null) {
        const cached = this.ui.get(sig(id));
        server.sendSync(
          'executed',
          { node: id, display_node: id, output: cached?.output ?? null, prompt_id: promptId },
          server.clientId,
        );
      }
      progress.finishProgress(id);
      return null;
    }
    progress.startProgress(id);
    // get_input_data: linked values from upstream outputs, then hidden inputs.
    const inputData: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.inputs)) {
      inputData[k] = isLink(v) ? this.outputs.get(sig(v[0]))?.[v[1]] : v;
    }
    for (const [k, kind] of Object.entries(def.input.hidden ?? {})) {
      if (kind === 'PROMPT') inputData[k] = prompt;
      else if (kind === 'EXTRA_PNGINFO') inputData[k] = extraData.extra_pnginfo ?? null;
    }
    if (server.clientId !== null) {
      server.lastNodeId = id;
      server.sendSync('executing', { node: id, display_node: id, prompt_id: promptId }, server.clientId);
    }
    const objKey = `${id}\0${node.class_type}`;
    let objectState = this.objects.get(objKey);
    if (!objectState) {
      objectState = {};
      this.objects.set(objKey, objectState);
    }
    let result: Awaited<ReturnType<typeof def.run>>;
    try {
      this.checkInterrupt(); // before_node_execution
      result = await def.run(
        {
          uniqueId: id,
          prompt,
          extraData,
          outputDir: this.opts.outputDir,
          tempDir: this.opts.tempDir,
          objectState,
          sleep: (ms) => this.sleep(ms * this.opts.timeScale),
          progress: (value, total, jpeg) => {
            // main.hijack_progress: check the interrupt, update the registry, send progress, then type 1.
            this.checkInterrupt();
            progress.update(value, total, jpeg);
            server.sendSync(
              'progress',
              { value, max: total, prompt_id: promptId, node: id },
              server.clientId,
            );
            if (jpeg && !server.supportsPreviewMetadata(server.clientId)) {
              server.sendPreview(jpeg, server.clientId, null);
            }
          },
        },
        inputData,
      );
    } catch (ex) {
      if (ex instanceof ExecutorKilled) throw ex;
      if (ex instanceof InterruptProcessingException) return { details: { node_id: id }, interrupted: true };
      const message = ex instanceof Error ? ex.message : String(ex);
      const type = ex instanceof NodeException ? ex.pythonType : 'Exception';
      const currentInputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(inputData)) currentInputs[k] = [formatValue(v)];
      return {
        details: {
          node_id: id,
          exception_message: `${message}\n`,
          exception_type: type,
          traceback: [
            ...EXECUTION_FRAMES,
            ...(def.tracebackTail ?? [`  File "/opt/ComfyUI/nodes.py", line 1, in ${node.class_type}\n`]),
          ],
          current_inputs: currentInputs,
        },
        interrupted: false,
      };
    }
    if (result.ui && Object.keys(result.ui).length > 0) {
      this.ui.set(sig(id), {
        meta: { node_id: id, display_node: id, parent_node: null, real_node_id: id },
        output: result.ui,
      });
      if (server.clientId !== null) {
        server.sendSync(
          'executed',
          { node: id, display_node: id, output: result.ui, prompt_id: promptId },
          server.clientId,
        );
      }
    }
    this.outputs.set(sig(id), result.result);
    executed.add(id);
    progress.finishProgress(id);
    return null;
  }

  private handleError(
    promptId: string,
    prompt: ApiPrompt,
    currentOutputs: string[],
    executed: Set<string>,
    error: ErrorDetails,
    interrupted = false,
  ): void {
    const nodeType = prompt[error.node_id]!.class_type;
    if (interrupted) {
      this.addMessage(
        'execution_interrupted',
        { prompt_id: promptId, node_id: error.node_id, node_type: nodeType, executed: [...executed] },
        true,
      );
      return;
    }
    this.addMessage(
      'execution_error',
      {
        prompt_id: promptId,
        node_id: error.node_id,
        node_type: nodeType,
        executed: [...executed],
        exception_message: error.exception_message,
        exception_type: error.exception_type,
        traceback: error.traceback,
        current_inputs: error.current_inputs,
        current_outputs: currentOutputs,
      },
      false,
    );
  }

  /** Sleeps in slices of at most 50 ms so that an interrupt is honoured promptly, like PeerSteps. */
  private async sleep(ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (this.killed) throw new ExecutorKilled();
      if (this.interrupted) {
        this.interrupted = false;
        throw new InterruptProcessingException();
      }
      const left = end - Date.now();
      if (left <= 0) return;
      await new Promise((r) => setTimeout(r, Math.min(50, left)));
    }
  }
}
