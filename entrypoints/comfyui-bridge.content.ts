// The tab bridge's isolated half: forwards the tap's messages to the engine (lib/ext/bridge/relay.ts).
import { createRelay } from '@/lib/ext/bridge/relay';
import { sendRuntimeMessage } from '@/lib/ext/ui/messaging';

export default defineContentScript({
  matches: ['http://127.0.0.1/*', 'http://localhost/*'],
  runAt: 'document_idle',
  main() {
    createRelay(window, sendRuntimeMessage);
  },
});
