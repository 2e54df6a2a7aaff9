// The dashboard's entry in the browser: the board with the browser's own fetch, EventSource, clock and
// location. Bundled with esbuild (build-client.ts); everything it shows comes from board.ts and view.ts.
import { Board } from './board';

const board = new Board({
  doc: document,
  fetch: (input, init) => window.fetch(input, init),
  EventSource: window.EventSource,
  now: () => Date.now(),
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (id) => window.clearTimeout(id as number),
  setInterval: (fn, ms) => window.setInterval(fn, ms),
  location: window.location,
  history: window.history,
});
void board.start();
