// The dashboard shell. Static: it carries no data, so it is served without a key; the data comes from
// the API with the read-only dashboard key (session cookie).
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
<header>
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
  <section id="board" hidden>
    <h2>Active jobs</h2>
    <p id="no-active">No job is running.</p>
    <div id="active" class="cards"></div>
    <h2>Recent history</h2>
    <div class="table-wrap"><table id="history">
      <thead><tr><th></th><th>Status</th><th>Job</th><th>Server</th><th>Source</th><th>Queued</th><th>Duration</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <h2>Time per node class</h2>
    <div class="table-wrap"><table id="stats">
      <thead><tr><th>Class</th><th>Runs</th><th>Cached</th><th>Total</th><th>Average</th><th>Max</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --ok: #2e9d5b; --bad: #d0453a; --run: #3b82f6; --muted: #888; }
* { box-sizing: border-box; }
/* Author display rules would otherwise override the hidden attribute (login form, broken thumbnails). */
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; gap: 1rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid #8884; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
#live { font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; background: #8882; }
#live[data-state="live"] { background: var(--ok); color: #fff; }
#live[data-state="offline"] { background: var(--bad); color: #fff; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
form { display: grid; gap: .5rem; max-width: 24rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: .75rem; }
.card { border: 1px solid #8884; border-radius: .5rem; padding: .6rem; display: grid; gap: .35rem; }
.card img { width: 100%; aspect-ratio: 1; object-fit: contain; background: #8881; border-radius: .25rem; }
.card .id { font-family: ui-monospace, monospace; font-size: .8rem; overflow-wrap: anywhere; }
.bar { height: .5rem; background: #8883; border-radius: .25rem; overflow: hidden; }
.bar > div { height: 100%; background: var(--run); width: 0; transition: width .2s; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8882; white-space: nowrap; }
td.num, th.num { text-align: right; }
td img { width: 40px; height: 40px; object-fit: cover; border-radius: .2rem; display: block; }
.status { font-weight: 600; }
.status[data-status="success"] { color: var(--ok); }
.status[data-status="error"], .status[data-status="rejected"], .status[data-status="lost"] { color: var(--bad); }
.status[data-status="running"] { color: var(--run); }
.muted { color: var(--muted); }
@media (max-width: 600px) { th:nth-child(4), td:nth-child(4), th:nth-child(5), td:nth-child(5) { display: none; } }
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
