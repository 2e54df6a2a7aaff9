/**
 * The timelapse Worker, started by the offscreen document (`worker-encoder.ts`): decoding, scaling,
 * quantising and LZW-compressing 64 frames takes long enough that it must not share a thread with the
 * engine's sockets.
 */
import { DEFAULT_REST_RATIO, encodeTimelapse } from './encode';
import type { WorkerAnswer, WorkerRequest } from './worker-encoder';

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerAnswer, transfer: Transferable[]): void;
};

scope.onmessage = (ev) => {
  const { id, request } = ev.data;
  encodeTimelapse({ restRatio: DEFAULT_REST_RATIO, ...request }).then(
    (result) => scope.postMessage({ id, ok: true, result }, result ? [result.bytes.buffer] : []),
    (e: unknown) =>
      scope.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) }, []),
  );
};
