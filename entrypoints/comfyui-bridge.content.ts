// The tab bridge's isolated half: forwards the tap's frames to the engine (lib/ext/bridge/relay.ts).
import { createRelay } from '@/lib/ext/bridge/relay';

export default defineContentScript({
  matches: ['http://127.0.0.1/*', 'http://localhost/*'],
  runAt: 'document_idle',
  main() {
    createRelay(window, (frames) =>
      browser.runtime.sendMessage({ type: 'engine:tabFrames', payload: { frames } }),
    );
  },
});
