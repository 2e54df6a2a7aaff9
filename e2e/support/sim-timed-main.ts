/**
 * Child-process entry for the latency benchmark: the simulator, with every progress frame's departure
 * stamped where it leaves, at `WebSocket.send`, and reported on stdout as one JSON line each. Patching the
 * `ws` prototype keeps the simulator itself free of measurement hooks.
 */
import { WebSocket } from 'ws';
import { startSimulator } from '../../sim';

type Send = typeof WebSocket.prototype.send;
const original: Send = WebSocket.prototype.send;
WebSocket.prototype.send = function stampedSend(this: WebSocket, ...args: Parameters<Send>) {
  const [data] = args;
  if (typeof data === 'string' && data.includes('progress')) {
    const at = performance.timeOrigin + performance.now();
    try {
      const msg = JSON.parse(data) as { type?: string; data?: { prompt_id?: string } };
      if (msg.type === 'progress' || msg.type === 'progress_state') {
        process.stdout.write(`${JSON.stringify({ at, type: msg.type, promptId: msg.data?.prompt_id })}\n`);
      }
    } catch {
      // Not JSON we can read (NaN literals): not a frame the benchmark correlates.
    }
  }
  return original.apply(this, args);
} as Send;

const port = Number(process.argv[2] ?? 8188);
const sim = await startSimulator({ port, host: '127.0.0.1', originCheck: true });
process.stdout.write(`${JSON.stringify({ ready: sim.url })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
