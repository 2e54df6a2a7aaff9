/**
 * The timelapse Worker, started by the engine's document (the offscreen document in Chrome, the background
 * page in Firefox; `browser.ts`): decoding, scaling and encoding 64 frames takes long enough that it must
 * not share a thread with the engine's sockets.
 */
import { DEFAULT_REST_RATIO, type EncodeRequest, encodeTimelapse, holdGate } from './encode';
import { serveRequests } from './worker-client';

const gate = holdGate();
serveRequests(
  (request: EncodeRequest) =>
    encodeTimelapse({ restRatio: DEFAULT_REST_RATIO, ...request }, { held: gate.left }),
  (result) => (result ? [result.bytes.buffer as ArrayBuffer] : []),
  (ms) => gate.hold(ms),
);
