/**
 * Reconnect benchmark: the real ComfySocket (with the `ws` WebSocket, real timers, real TCP) connects to
 * the simulator through a TCP proxy that cuts and refuses connections like a restarting ComfyUI.
 *
 * Peer policies run side by side in the same run, through the same proxies: the same socket code with
 * only the retry policy swapped (the official frontend's fixed 300 ms; a popular SDK's 1-15 s doubling
 * that gives up after 10 attempts; for the idle scenario, that SDK's 10 s silence watchdog). Their other
 * bugs (e.g. ignoring the close of a reconnected socket) are not simulated, so peer figures are, if
 * anything, flattering to them.
 *
 * A. RESTARTS × a 5-6 s outage: time from the proxy listening again to the socket's `open`.
 * B. one 120 s outage, in real time: handshakes attempted during it, and whether the socket comes back.
 * C. an idle, healthy connection for 65 s: reconnects and HTTP probes (must be 0).
 * The three scenarios run concurrently (each with its own proxy), so the bench takes about 3 minutes.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  type BackoffPolicy,
  cappedExponentialBackoff,
  defaultBackoff,
  fixedBackoff,
} from '../lib/comfy/backoff';
import { ComfySocket, type ComfySocketOptions } from '../lib/comfy/socket';
import { startSimulator } from '../sim';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import type { BenchResult } from './types';

const RESTARTS = 6;
const HEALTHY_MS = 11_000; // > the 10 s after which the backoff resets: restarts are independent events
const LONG_OUTAGE_MS = 120_000;
const IDLE_MS = 65_000;
const RECOVERY_TIMEOUT_MS = 40_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Contender {
  name: string;
  socket: ComfySocket;
  /** performance.now() of every open. */
  opens: number[];
}

const POLICIES: { name: string; policy: BackoffPolicy }[] = [
  { name: 'comfypulse', policy: defaultBackoff },
  { name: 'fixed 300 ms', policy: fixedBackoff(300) },
  { name: '1-15 s, 10 attempts', policy: cappedExponentialBackoff(1000, 15_000, 10) },
];

let clientSeq = 0;
function contender(name: string, baseUrl: string, options: Partial<ComfySocketOptions> = {}): Contender {
  const socket = new ComfySocket({
    baseUrl,
    clientId: `bench-${name.replace(/\W+/g, '-')}-${++clientSeq}`,
    WebSocket,
    ...options,
  });
  const c: Contender = { name, socket, opens: [] };
  socket.on('open', () => c.opens.push(performance.now()));
  socket.connect();
  return c;
}

async function waitOpenAfter(c: Contender, t: number, timeoutMs: number): Promise<number> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const open = c.opens.find((o) => o >= t);
    if (open !== undefined) return open - t;
    await sleep(5);
  }
  return Number.POSITIVE_INFINITY;
}

async function connected(cs: Contender[]): Promise<void> {
  for (const c of cs)
    if ((await waitOpenAfter(c, 0, 10_000)) === Number.POSITIVE_INFINITY)
      throw new Error(`${c.name} never connected`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A: short restarts. Returns per-policy recovery times (ms) and attempts per restart. */
async function restarts(proxy: TcpProxy) {
  const cs = POLICIES.map((p) => contender(p.name, proxy.url, { backoff: p.policy }));
  await connected(cs);
  const recovery = new Map<string, number[]>(cs.map((c) => [c.name, []]));
  const attempts = new Map<string, number[]>(cs.map((c) => [c.name, []]));
  const downs: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await sleep(HEALTHY_MS);
    const before = cs.map((c) => c.socket.stats.attempts);
    const downMs = 5000 + Math.random() * 1000;
    downs.push(downMs);
    await proxy.down();
    await sleep(downMs);
    await proxy.up();
    const upAt = performance.now();
    const times = await Promise.all(cs.map((c) => waitOpenAfter(c, upAt, RECOVERY_TIMEOUT_MS)));
    cs.forEach((c, k) => {
      recovery.get(c.name)!.push(times[k]!);
      attempts.get(c.name)!.push(c.socket.stats.attempts - before[k]!);
    });
  }
  for (const c of cs) c.socket.close();
  return { recovery, attempts, downs };
}

/** B: one long outage. */
async function longOutage(proxy: TcpProxy) {
  const cs = POLICIES.map((p) => contender(p.name, proxy.url, { backoff: p.policy }));
  await connected(cs);
  await sleep(HEALTHY_MS);
  const before = cs.map((c) => c.socket.stats.attempts);
  await proxy.down();
  await sleep(LONG_OUTAGE_MS);
  const attempts = cs.map((c, k) => c.socket.stats.attempts - before[k]!);
  await proxy.up();
  const upAt = performance.now();
  const back = await Promise.all(cs.map((c) => waitOpenAfter(c, upAt, RECOVERY_TIMEOUT_MS)));
  for (const c of cs) c.socket.close();
  return cs.map((c, k) => ({ name: c.name, attempts: attempts[k]!, recoveryMs: back[k]! }));
}

/** C: idle and healthy. Ours probes only while busy; the SDK-style watchdog reacts to any 10 s silence. */
async function idle(proxy: TcpProxy) {
  const probe = () =>
    fetch(`${proxy.url}/api/prompt`).then(
      (r) => r.ok,
      () => false,
    );
  const ours = contender('comfypulse', proxy.url, { isBusy: () => false, probe });
  const watchdog = contender('10 s silence watchdog', proxy.url, {
    isBusy: () => true,
    silenceMs: 10_000,
    probe,
  });
  await connected([ours, watchdog]);
  await sleep(IDLE_MS);
  const out = [ours, watchdog].map((c) => ({
    name: c.name,
    reconnects: c.opens.length - 1,
    probes: c.socket.stats.probes,
  }));
  ours.socket.close();
  watchdog.socket.close();
  return out;
}

export default async function reconnectBench(): Promise<BenchResult[]> {
  const sim = await startSimulator({ port: 0 });
  const proxies = await Promise.all([1, 2, 3].map(() => startTcpProxy(sim.port)));
  try {
    const [a, b, c] = await Promise.all([restarts(proxies[0]!), longOutage(proxies[1]!), idle(proxies[2]!)]);
    const rows: BenchResult[] = [];
    const fmt = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? Math.round(x) : 'never')).join(', ');
    const meanOf = (name: string) => mean(a.recovery.get(name)!);
    const ours = meanOf('comfypulse');
    rows.push({
      name: 'A. back after a 5-6 s restart, mean (comfypulse)',
      value: ours,
      unit: 'ms',
      target: '<= 1500',
      ok: ours <= 1500,
      detail: `${RESTARTS} restarts of ${fmt(a.downs)} ms; recoveries ${fmt(a.recovery.get('comfypulse')!)} ms; handshakes per restart ${a.attempts.get('comfypulse')!.join(', ')}`,
    });
    for (const peer of POLICIES.slice(1)) {
      const m = meanOf(peer.name);
      rows.push({
        name: `A. back after a restart, mean (${peer.name})`,
        value: m,
        unit: 'ms',
        detail: `recoveries ${fmt(a.recovery.get(peer.name)!)} ms; handshakes per restart ${a.attempts.get(peer.name)!.join(', ')}`,
      });
      rows.push({ name: `A. ratio comfypulse / ${peer.name}`, value: ours / m, unit: 'x' });
    }
    const bOurs = b.find((r) => r.name === 'comfypulse')!;
    rows.push({
      name: 'B. handshakes during a 120 s outage (comfypulse)',
      value: bOurs.attempts,
      unit: 'attempts',
      target: '<= 20',
      ok: bOurs.attempts <= 20,
      detail: `real time, not scaled; back ${Math.round(bOurs.recoveryMs)} ms after the outage ended (30 s cap; retryNow() on an online event or HTTP probe skips it)`,
    });
    for (const peer of b.filter((r) => r.name !== 'comfypulse')) {
      rows.push({
        name: `B. handshakes during a 120 s outage (${peer.name})`,
        value: peer.attempts,
        unit: 'attempts',
        detail: Number.isFinite(peer.recoveryMs)
          ? `back ${Math.round(peer.recoveryMs)} ms after the outage ended`
          : `never came back (gave up); waited ${RECOVERY_TIMEOUT_MS / 1000} s after the outage`,
      });
      rows.push({
        name: `B. ratio ${peer.name} / comfypulse attempts`,
        value: peer.attempts / bOurs.attempts,
        unit: 'x',
      });
    }
    rows.push({
      name: 'B. back after a 120 s outage (comfypulse)',
      value: bOurs.recoveryMs,
      unit: 'ms',
      target: 'finite (never gives up)',
      ok: Number.isFinite(bOurs.recoveryMs),
    });
    for (const r of c) {
      const isOurs = r.name === 'comfypulse';
      rows.push({
        name: `C. reconnects on a ${IDLE_MS / 1000} s idle healthy connection (${r.name})`,
        value: r.reconnects,
        unit: 'reconnects',
        ...(isOurs ? { target: '0', ok: r.reconnects === 0 && r.probes === 0 } : {}),
        detail: isOurs
          ? `${r.probes} HTTP liveness probes (silence counts only while a job runs)`
          : `${r.probes} HTTP liveness probes; with our doubling of the silence allowed after each verdict, so fewer than a plain 10 s watchdog`,
      });
    }
    return rows;
  } finally {
    for (const p of proxies) await p.close();
    await sim.close();
  }
}
