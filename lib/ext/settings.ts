/**
 * User settings, validated with zod and stored per section in the `settings` table (so a section written
 * by one context never clobbers another). Reads always succeed: a missing or invalid stored value falls
 * back to its defaults, field by field.
 */
import { z } from 'zod';
import type { ComfyPulseDB } from './db';

/** Limits of the timelapse options (the options form shows them as the inputs' bounds). */
export const TIMELAPSE_MAX_FRAMES = 256;
export const TIMELAPSE_MAX_SIDE = 1024;

export const SettingsSchema = z.object({
  notifications: z
    .object({
      onSuccess: z.boolean().default(true),
      onFailure: z.boolean().default(true),
      onInterrupted: z.boolean().default(true),
      onQueueEmpty: z.boolean().default(false),
    })
    .prefault({}),
  previews: z.object({ enabled: z.boolean().default(true) }).prefault({}),
  /** A job's preview frames, sampled evenly to `maxFrames` at most `maxSide` px, become an animation at its end. */
  timelapse: z
    .object({
      enabled: z.boolean().default(true),
      maxFrames: z.number().int().min(2).max(TIMELAPSE_MAX_FRAMES).default(64),
      maxSide: z.number().int().min(64).max(TIMELAPSE_MAX_SIDE).default(256),
    })
    .prefault({}),
  retention: z
    .object({
      maxJobs: z.number().int().min(10).max(1_000_000).default(1000),
      maxDays: z.number().int().min(1).max(3650).default(30),
    })
    .prefault({}),
  /** Upper bound on the bytes of stored previews, thumbnails and timelapses; oldest timelapses go first. */
  previewBudgetBytes: z
    .number()
    .int()
    .min(1_000_000)
    .default(50 * 1024 * 1024),
  sync: z
    .object({
      enabled: z.boolean().default(false),
      url: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
      /** Secret: never logged. */
      apiKey: z.string().max(512).default(''),
    })
    .prefault({}),
});

export type Settings = z.output<typeof SettingsSchema>;
export type SettingsSection = keyof Settings;
export type SettingsPatch = {
  [K in SettingsSection]?: Settings[K] extends object ? Partial<Settings[K]> : Settings[K];
};

export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});

const SECTIONS = Object.keys(SettingsSchema.shape) as SettingsSection[];

/** Parses one stored section; an invalid stored value degrades to the defaults instead of breaking reads. */
function parseSection<K extends SettingsSection>(key: K, value: unknown): Settings[K] {
  const field = SettingsSchema.shape[key] as unknown as z.ZodType<Settings[K]>;
  const ok = field.safeParse(value);
  if (ok.success) return ok.data;
  // one bad field must not reset its valid siblings to the defaults
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const trial = field.safeParse({ [k]: v });
      if (trial.success) kept[k] = v;
    }
    const partial = field.safeParse(kept);
    if (partial.success) return partial.data;
  }
  return DEFAULT_SETTINGS[key];
}

export async function getSettings(db: ComfyPulseDB): Promise<Settings> {
  const rows = await db.settings.bulkGet(SECTIONS);
  const out = {} as Record<SettingsSection, unknown>;
  SECTIONS.forEach((key, i) => {
    out[key] = parseSection(key, rows[i]?.value);
  });
  return out as Settings;
}

/**
 * Merges `patch` into the stored settings (object sections merge field by field) and validates the
 * result; throws a zod error on an invalid patch, and then nothing is written.
 */
export async function saveSettings(db: ComfyPulseDB, patch: SettingsPatch): Promise<Settings> {
  return db.transaction('rw', db.settings, async () => {
    const current = await getSettings(db);
    const merged: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(patch)) {
      const cur = merged[k];
      merged[k] = v && typeof v === 'object' && cur && typeof cur === 'object' ? { ...cur, ...v } : v;
    }
    const next = SettingsSchema.parse(merged);
    const changed = (Object.keys(patch) as SettingsSection[]).filter((k) => k in next);
    await db.settings.bulkPut(changed.map((key) => ({ key, value: next[key] })));
    return next;
  });
}
