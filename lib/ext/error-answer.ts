/**
 * The `{ error }` answer: how a context that handles a runtime message says "this failed". A handler that
 * throws answers `{ error: text }` (only text crosses a message port), and the sender turns that answer
 * back into a thrown Error. An answer is an error answer only when `error` is its one key, so a result
 * that merely carries an `error` field among others (`{ ok: false, error: 'duplicate' }`) stays a result.
 *
 * Every side of the convention lives here (answer, recognise, unwrap), and nothing else spells it out.
 * Free of zod and of browser APIs: the popup's and side panel's startup bundle imports it.
 */
import { errorText } from './error-text';

export interface ErrorAnswer {
  error: string;
}

/** What a handler that threw `e` answers. */
export function errorAnswer(e: unknown): ErrorAnswer {
  return { error: errorText(e) };
}

export function isErrorAnswer(res: unknown): res is { error: unknown } {
  return typeof res === 'object' && res !== null && 'error' in res && Object.keys(res).length === 1;
}

/** The answer itself, or, for an `{ error }` answer, the Error it stands for, thrown. */
export function unwrapAnswer<T>(res: unknown): T {
  if (isErrorAnswer(res)) throw new Error(String(res.error));
  return res as T;
}
