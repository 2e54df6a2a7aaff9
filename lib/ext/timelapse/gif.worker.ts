/** The on-demand GIF Worker of a page (`browser.ts`): decoding a video and quantising its frames is seconds of work. */
import { gifFromVideo } from './to-gif';
import { serveRequests } from './worker-client';

serveRequests(
  (request: { video: Uint8Array }) => gifFromVideo(request.video),
  (result) => [result.bytes.buffer as ArrayBuffer],
);
