/**
 * Everything the UI needs from the outside world, behind one context so that components stay testable:
 * the database, the live store, the typed message sender, the clock, and the few browser calls that must
 * happen inside a click handler (permission prompts, opening the side panel).
 */
import { createContext, type ReactNode, useContext } from 'react';
import type { ComfyPulseDB } from '../db';
import type { LiveStore } from './live';
import type { EngineLiveness } from './liveness';
import type { Send } from './messaging';

export interface UiServices {
  db: ComfyPulseDB;
  live: LiveStore;
  /** Whether a live engine vouches for the connection states (see `liveness.ts`). */
  engine: EngineLiveness;
  send: Send;
  now(): number;
  /**
   * Asks for host permissions. Must be called synchronously from a user gesture (the click handler),
   * before any await, or the browser refuses to show the prompt.
   */
  requestOrigins(origins: string[]): Promise<boolean>;
  /**
   * Opens the side panel for `windowId`, optionally at a job. Also called synchronously from the click:
   * `chrome.sidePanel.open` needs the gesture.
   */
  openSidePanel(windowId: number | undefined, jobKey?: string): Promise<void>;
  /** The window this page lives in, for `openSidePanel`. */
  currentWindowId(): Promise<number | undefined>;
  /** Opens the options page. */
  openOptions(): void;
  /** A GIF of a stored timelapse video, made off this page's thread (`lib/ext/timelapse/gif-maker.ts`). */
  timelapseGif(video: Blob): Promise<Blob>;
  /** Hands a file to the browser's downloads under `name`. */
  saveFile(data: Blob, name: string): void;
}

const ServicesContext = createContext<UiServices | null>(null);

export function ServicesProvider({ services, children }: { services: UiServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): UiServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside ServicesProvider');
  return s;
}
