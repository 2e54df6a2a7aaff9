// Server configuration from the environment, validated with zod so a typo fails at start, not later.
import { z } from 'zod';

export interface ComfyServerConfig {
  url: string;
  token?: string;
}

export interface ServerConfig {
  databaseUrl?: string;
  pgliteDir: string;
  port: number;
  host: string;
  comfyServers: Record<string, ComfyServerConfig>;
  /** Largest accepted ingest body in bytes (413 above). */
  ingestMaxBytes: number;
  /** Most job records per ingest batch (413 above). */
  ingestMaxRecords: number;
  /** Sustained ingest requests per second per API key, and the burst above it (429 beyond). */
  ingestRate: number;
  ingestBurst: number;
  /** Largest accepted POST /v1/prompts body in bytes. */
  promptMaxBytes: number;
  webhookAttempts: number;
  /** Webhooks may go to loopback and private addresses (n8n on the same machine or the LAN). */
  webhookAllowPrivate: boolean;
  /** When not empty, webhooks go only to these host names (lowercase). */
  webhookAllowedHosts: string[];
  /** An API-started job with no write for this long is adopted by any instance (its own one stopped). */
  jobOrphanAfterMs: number;
  /** How far an ingested record's updatedAt may be ahead of this server's clock. */
  ingestMaxFutureMs: number;
  /** Sustained POST /v1/prompts per second per API key, and the burst above it (429 beyond). */
  promptRate: number;
  promptBurst: number;
  /** Open GET /v1/stream connections per API key (429 beyond). */
  streamsPerKey: number;
  /** Dashboard sign-in attempts per client address per minute (429 beyond). */
  signinPerMinute: number;
  /** X-Forwarded-Proto and X-Forwarded-For come from a proxy the operator trusts. */
  trustProxy: boolean;
}

const serverName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'server names are 1-64 of [A-Za-z0-9._-]');
const httpUrl = z.url({ protocol: /^https?$/ });
const ServersJson = z.record(
  serverName,
  z.union([httpUrl, z.strictObject({ url: httpUrl, token: z.string().min(1).optional() })]),
);

/** `COMFY_SERVERS` is JSON (`{"local":"http://127.0.0.1:8188","gpu":{"url":"…","token":"…"}}`) or `name=url,…`. */
export function parseComfyServers(raw: string | undefined): Record<string, ComfyServerConfig> {
  if (!raw?.trim()) return {};
  const text = raw.trim();
  const obj = text.startsWith('{')
    ? ServersJson.parse(JSON.parse(text))
    : ServersJson.parse(
        Object.fromEntries(
          text
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
            .map((p) => {
              const i = p.indexOf('=');
              if (i < 1) throw new Error(`COMFY_SERVERS entry "${p}" is not name=url`);
              return [p.slice(0, i), p.slice(i + 1)];
            }),
        ),
      );
  const out: Record<string, ComfyServerConfig> = {};
  for (const [name, v] of Object.entries(obj)) {
    const cfg = typeof v === 'string' ? { url: v } : v;
    out[name] = { url: cfg.url.replace(/\/+$/, ''), ...(cfg.token !== undefined && { token: cfg.token }) };
  }
  return out;
}

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const flag = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v))
    .default(def);
const hostList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((h) => h.trim().toLowerCase().replace(/\.$/, ''))
      .filter(Boolean),
  );

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  PGLITE_DIR: z.string().min(1).default('./.data/pglite'),
  PORT: int(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  COMFY_SERVERS: z.string().optional(),
  INGEST_MAX_BYTES: int(5 * 1024 * 1024, 1024),
  INGEST_MAX_RECORDS: int(1000, 1),
  INGEST_RATE: z.coerce.number().positive().default(20),
  INGEST_BURST: int(60, 1),
  PROMPT_MAX_BYTES: int(10 * 1024 * 1024, 1024),
  WEBHOOK_ATTEMPTS: int(6, 1),
  WEBHOOK_ALLOW_PRIVATE: flag(true),
  WEBHOOK_ALLOWED_HOSTS: hostList,
  JOB_ORPHAN_AFTER_MS: int(120_000, 100),
  INGEST_MAX_FUTURE_MS: int(300_000, 0),
  PROMPT_RATE: z.coerce.number().positive().default(5),
  PROMPT_BURST: int(30, 1),
  STREAMS_PER_KEY: int(20, 1),
  SIGNIN_PER_MINUTE: int(10, 1),
  TRUST_PROXY: flag(false),
});

export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const e = EnvSchema.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  return {
    ...(e.DATABASE_URL !== undefined && { databaseUrl: e.DATABASE_URL }),
    pgliteDir: e.PGLITE_DIR,
    port: e.PORT,
    host: e.HOST,
    comfyServers: parseComfyServers(e.COMFY_SERVERS),
    ingestMaxBytes: e.INGEST_MAX_BYTES,
    ingestMaxRecords: e.INGEST_MAX_RECORDS,
    ingestRate: e.INGEST_RATE,
    ingestBurst: e.INGEST_BURST,
    promptMaxBytes: e.PROMPT_MAX_BYTES,
    webhookAttempts: e.WEBHOOK_ATTEMPTS,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    webhookAllowedHosts: e.WEBHOOK_ALLOWED_HOSTS,
    jobOrphanAfterMs: e.JOB_ORPHAN_AFTER_MS,
    ingestMaxFutureMs: e.INGEST_MAX_FUTURE_MS,
    promptRate: e.PROMPT_RATE,
    promptBurst: e.PROMPT_BURST,
    streamsPerKey: e.STREAMS_PER_KEY,
    signinPerMinute: e.SIGNIN_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
  };
}

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...loadConfig({}), ...overrides };
}
