// The dashboard shell. Static: it carries no data, so it is served without a key; the data comes from
// the API with the read-only dashboard key (session cookie).

/** The page's body: also what the DOM tests load, so they run against the markup that is served. */
export const DASHBOARD_BODY = `<header>
  <h1>ComfyPulse</h1>
  <span id="live" data-state="connecting">connecting</span>
  <button id="logout" type="button" hidden>Sign out</button>
</header>
<main>
  <form id="login" hidden>
    <label for="token">Dashboard key (read scope)</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Open dashboard</button>
    <p id="login-error" role="alert"></p>
  </form>
  <div id="board" hidden>
    <form id="filters" class="filters" role="search" aria-label="Filters">
      <label>Server <select id="filter-server"><option value="">All servers</option></select></label>
      <label>Status <select id="filter-status"></select></label>
    </form>
    <section id="active-section" aria-labelledby="active-heading">
      <h2 id="active-heading">Active jobs <span id="active-count" class="count"></span></h2>
      <p id="no-active" class="empty">No job is running.</p>
      <div id="active" class="cards"></div>
    </section>
    <div class="columns">
      <section id="history-section" aria-labelledby="history-heading">
        <h2 id="history-heading">Finished jobs</h2>
        <p id="no-history" class="empty">No finished job yet.</p>
        <ol id="history" class="rows"></ol>
      </section>
      <section id="stats-section" aria-labelledby="stats-heading">
        <h2 id="stats-heading">Time per node class <span class="count">last 7 days</span></h2>
        <p class="legend muted">Total time per class; below it, the
          <span class="key-median">median</span> and the <span class="key-slowest">slowest</span> run on one scale.</p>
        <p id="no-stats" class="empty">No node has run in the last 7 days.</p>
        <ol id="stats" class="stats"></ol>
      </section>
    </div>
  </div>
</main>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ComfyPulse team dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
<script type="module" src="/dashboard.js"></script>
</head>
<body>
${DASHBOARD_BODY}
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --fg: #16181d; --card: #fff; --line: #d9dde3; --track: #e6e9ee; --muted: #5f6673;
  --ok: #1f8a4c; --bad: #c8362b; --run: #2f6fe0; --warn: #b26a00; --accent: #6d4ce0;
  --ext: #6d4ce0; --api: #0f7c86; --slow: #e7bf80;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #101217; --fg: #e8eaee; --card: #181b22; --line: #2b303a; --track: #262a33; --muted: #9aa2b1;
    --ok: #3fbf73; --bad: #f0675c; --run: #5b93f5; --warn: #e0a03a; --accent: #9b82f5;
    --ext: #a58cf7; --api: #3cc3cf; --slow: #a67a35;
  }
}
* { box-sizing: border-box; }
/* Author display rules would otherwise override the hidden attribute (sections, loading images). */
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header {
  display: flex; gap: .75rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line);
  background: var(--card); position: sticky; top: 0; z-index: 1;
}
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
button, select, input { font: inherit; color: inherit; }
button, select {
  background: var(--card); border: 1px solid var(--line); border-radius: .4rem; padding: .3rem .6rem;
}
#live { font-size: .8rem; padding: .1rem .6rem; border-radius: 1rem; background: var(--track); }
#live[data-state="live"] { background: var(--ok); color: #fff; }
#live[data-state="offline"] { background: var(--bad); color: #fff; }
main { padding: .75rem 1rem 2rem; max-width: 1440px; margin: 0 auto; }
#login { display: grid; gap: .5rem; max-width: 24rem; margin-top: 1rem; }
#login input { padding: .4rem .5rem; border: 1px solid var(--line); border-radius: .4rem; background: var(--card); }
#login-error { color: var(--bad); margin: 0; }
h2 { font-size: 1rem; margin: 1.25rem 0 .6rem; display: flex; gap: .5rem; align-items: baseline; }
h2 .count { font-size: .8rem; font-weight: 400; color: var(--muted); }
.muted { color: var(--muted); }
.empty { color: var(--muted); margin: .25rem 0; }
.filters { display: grid; grid-template-columns: repeat(2, minmax(0, 13rem)); gap: .75rem; }
.filters label { display: grid; gap: .15rem; font-size: .78rem; color: var(--muted); min-width: 0; }
.filters select { width: 100%; color: var(--fg); }

.status { font-weight: 600; font-size: .8rem; color: var(--muted); }
.status[data-status="success"] { color: var(--ok); }
.status[data-status="error"], .status[data-status="rejected"], .status[data-status="lost"] { color: var(--bad); }
.status[data-status="running"] { color: var(--run); }
.status[data-status="interrupted"], .status[data-status="cancelled"] { color: var(--warn); }
.title { font-weight: 600; display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.who { display: inline; overflow-wrap: anywhere; }
.badge {
  display: inline-block; font-size: .72rem; font-weight: 600; padding: 0 .4rem; border-radius: .3rem;
  border: 1px solid currentColor; margin-right: .35rem; max-width: 10rem; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; vertical-align: 1px;
}
.badge[data-source="extension"] { color: var(--ext); }
.badge[data-source="api"] { color: var(--api); }
.who .name + .server::before, .sub time::before { content: " · "; }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr)); gap: .75rem; }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: .6rem; overflow: hidden;
  display: grid; grid-template-columns: 96px minmax(0, 1fr);
}
.card > .media[hidden] + .card-body { grid-column: 1 / -1; }
.media { background: var(--track); min-height: 96px; }
/* A preview is shown whole (its corner may carry the step count), letterboxed on the track colour. */
.media img { width: 100%; height: 100%; object-fit: contain; display: block; }
.card-body { padding: .6rem .75rem; display: grid; gap: .3rem; min-width: 0; }
.card .head { display: flex; gap: .5rem; align-items: baseline; justify-content: space-between; min-width: 0; }
/* A card has room for two lines of title; a long word breaks rather than widening the card. */
.card .title {
  white-space: normal; overflow-wrap: anywhere; display: -webkit-box; -webkit-box-orient: vertical;
  -webkit-line-clamp: 2; line-clamp: 2;
}
.card .sub, .card .who { font-size: .82rem; color: var(--muted); }
.bar { height: .55rem; background: var(--track); border-radius: .3rem; overflow: hidden; }
.bar > div { height: 100%; background: var(--run); width: 0; transition: width .3s; }
.card[data-status="pending"] .bar > div { background: var(--muted); }
.line { font-size: .82rem; }
.line .fact { white-space: nowrap; }
.line .fact.node { white-space: normal; overflow-wrap: anywhere; }

.rows, .stats { list-style: none; margin: 0; padding: 0; }
.row {
  display: grid; grid-template-columns: 48px minmax(0, 1fr) auto; gap: .65rem; align-items: center;
  padding: .45rem 0; border-bottom: 1px solid var(--line);
}
.thumb {
  width: 48px; height: 48px; border-radius: .35rem; background: var(--track); overflow: hidden;
  display: grid; place-items: center;
}
.thumb img { width: 100%; height: 100%; object-fit: cover; display: block; }
.tile { font-size: .65rem; font-weight: 700; color: var(--muted); letter-spacing: .03em; }
.main { min-width: 0; }
.sub { font-size: .8rem; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.sub .who { overflow-wrap: normal; }
.detail { font-size: .8rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.detail.failure { color: var(--bad); }
.side { display: grid; justify-items: end; gap: .1rem; font-size: .82rem; }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }

.legend { font-size: .8rem; margin: -.3rem 0 .6rem; }
.stat { padding: .5rem 0; border-bottom: 1px solid var(--line); display: grid; gap: .25rem; }
.stat .head { display: flex; justify-content: space-between; gap: .75rem; min-width: 0; }
.stat .cls { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.total-bar { height: .65rem; background: var(--track); border-radius: .3rem; overflow: hidden; }
.total-bar > div { height: 100%; background: var(--accent); border-radius: .3rem; }
.run-bar { position: relative; height: .45rem; background: var(--track); border-radius: .25rem; overflow: hidden; }
.run-bar > div { position: absolute; inset: 0 auto 0 0; border-radius: .25rem; }
.slowest-fill { background: var(--slow); }
.median-fill { background: var(--ok); }
.meta { font-size: .8rem; }
.key-median::before, .key-slowest::before {
  content: ""; display: inline-block; width: .6rem; height: .6rem; border-radius: .15rem; margin-right: .25rem;
}
.key-median::before { background: var(--ok); }
.key-slowest::before { background: var(--slow); }
.slow-runs { font-size: .75rem; overflow-wrap: anywhere; }

/* Wider screens keep the card's preview beside its text, larger, so a lone running job is not a tall
   poster with an empty row beside it. */
@media (min-width: 700px) {
  .cards { grid-template-columns: repeat(auto-fill, minmax(min(100%, 480px), 1fr)); }
  .card { grid-template-columns: 180px minmax(0, 1fr); }
  .media { min-height: 180px; }
  .card-body { align-content: start; padding: .75rem 1rem; }
}
@media (min-width: 1100px) {
  body { font-size: 16px; }
  .columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 2.5rem; align-items: start; }
}
`;

/** No inline script or style, no third-party origin: everything comes from this server. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
