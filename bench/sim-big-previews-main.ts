/**
 * Child-process entry for the encode load of the extension benchmarks: the simulator, with every legacy
 * preview frame (binary type 1) it sends replaced by a 512 x 512 PNG, the size of a real TAESD preview
 * (the simulator's own recorded frames are 64 px, which would make a timelapse encode unrealistically
 * cheap). Patching the `ws` prototype keeps the simulator itself unchanged, as `sim-timed-main.ts` does.
 */
import { WebSocket } from 'ws';
import { startSimulator } from '../sim';
import { encodePng, type ImageBatch } from '../sim/images';

const SIDE = 512;

/**
 * A colour field that drifts with `k`, posterised to 24 levels so the simulator's filterless PNG stays near
 * the size of a real JPEG preview (tens of KB), plus sparse noise so no two frames are alike.
 */
function frame(k: number): Buffer {
  const px = new Float32Array(SIDE * SIDE * 3);
  let seed = 1 + k * 7919;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const i = (y * SIDE + x) * 3;
      const q = (v: number) => Math.round(v * 24) / 24 + (rnd() < 0.01 ? rnd() * 0.3 : 0);
      px[i] = q(0.5 + 0.4 * Math.sin((x + k * 9) / 37));
      px[i + 1] = q(0.5 + 0.4 * Math.cos((y - k * 5) / 53));
      px[i + 2] = q(0.5 + 0.3 * Math.sin((x + y + k * 13) / 71));
    }
  }
  const batch: ImageBatch = { width: SIDE, height: SIDE, images: [px] };
  return encodePng(batch, 0);
}

const frames = Array.from({ length: 16 }, (_, k) => frame(k));
let next = 0;

type Send = typeof WebSocket.prototype.send;
const original: Send = WebSocket.prototype.send;
WebSocket.prototype.send = function bigPreviewSend(this: WebSocket, ...args: Parameters<Send>) {
  const [data] = args;
  if (
    data instanceof Uint8Array &&
    data.byteLength >= 8 &&
    new DataView(data.buffer, data.byteOffset).getUint32(0) === 1
  ) {
    const png = frames[next++ % frames.length]!;
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0); // type 1: legacy preview
    head.writeUInt32BE(2, 4); // format 2: PNG
    args[0] = Buffer.concat([head, png]);
  }
  return original.apply(this, args);
} as Send;

const sim = await startSimulator({ port: 0, host: '127.0.0.1', originCheck: false });
process.stdout.write(`${JSON.stringify({ ready: sim.url, frameBytes: frames.map((f) => f.length) })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
