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
  /** An API-started job with no write for this long is adopted by any instance (its own one stopped). */
  jobOrphanAfterMs: number;
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
  JOB_ORPHAN_AFTER_MS: int(120_000, 100),
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
    jobOrphanAfterMs: e.JOB_ORPHAN_AFTER_MS,
  };
}

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...loadConfig({}), ...overrides };
}
