/**
 * The text to show or send for a caught value: an Error's message, else the value as a string.
 * Anything can be thrown, and only text may cross a message port or reach the UI.
 */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
