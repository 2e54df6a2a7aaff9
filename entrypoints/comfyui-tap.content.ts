// The tab bridge's MAIN-world half: listens on the ComfyUI frontend's `app.api` (lib/ext/bridge/tap.ts).
// Registered at runtime in the page's world, only for configured servers' pages
// (lib/ext/background/bridge-scripts.ts); it stays inert on a page without ComfyUI's app.api.
import { attachTap, type TapWindow } from '@/lib/ext/bridge/tap';

export default defineContentScript({
  registration: 'runtime',
  world: 'MAIN',
  main() {
    attachTap(window as unknown as TapWindow);
  },
});
