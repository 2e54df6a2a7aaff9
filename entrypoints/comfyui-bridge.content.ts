// The tab bridge's isolated half: forwards the tap's messages to the engine (lib/ext/bridge/relay.ts).
// Registered at runtime, only for configured servers' pages (lib/ext/background/bridge-scripts.ts).
import { createRelay } from '@/lib/ext/bridge/relay';
import { sendRuntimeMessage } from '@/lib/ext/ui/messaging';

export default defineContentScript({
  registration: 'runtime',
  main() {
    createRelay(window, sendRuntimeMessage);
  },
});
