// The tab bridge's MAIN-world half: listens on the ComfyUI frontend's `app.api` (lib/ext/bridge/tap.ts).
import { attachTap, type TapWindow } from '@/lib/ext/bridge/tap';

export default defineContentScript({
  // Loopback only (the manifest's host permissions); it stays inert on pages without ComfyUI's app.api.
  matches: ['http://127.0.0.1/*', 'http://localhost/*'],
  world: 'MAIN',
  runAt: 'document_idle',
  main() {
    attachTap(window as unknown as TapWindow);
  },
});
