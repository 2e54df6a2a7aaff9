/**
 * Turns raw WebSocket frames into `ComfyEvent`s.
 *
 * Invariant: `decode` never throws, whatever it is given. Text frames go through the lenient JSON
 * parser and the schemas of record; binary frames follow comfyui-protocol.md §5, where every integer is a
 * big-endian u32 (`struct.pack(">I", ...)` on the server).
 */
import { JsonParseError, parseJsonLenient } from './json';
import { previewMetadataSchema, toComfyEvent } from './messages';
import type { ComfyEvent } from './types';

/** `BinaryEventTypes` in ComfyUI's `protocol.py`. */
export const BinaryEventType = {
  PREVIEW_IMAGE: 1,
  /** Internal selector on the server; never on the wire. */
  UNENCODED_PREVIEW_IMAGE: 2,
  TEXT: 3,
  PREVIEW_IMAGE_WITH_METADATA: 4,
} as const;

/** Type-1 image format word. */
const TYPE1_MIME: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };
const UNKNOWN_IMAGE_MIME = 'application/octet-stream';
const SAMPLE_CHARS = 200;
const SAMPLE_BYTES = 64;

export interface DecoderStats {
  frames: number;
  parseErrors: number;
  unknownTypes: number;
  unknownBinary: number;
  previews: number;
}

// A non-fatal decoder maps invalid UTF-8 to U+FFFD instead of throwing.
const utf8 = new TextDecoder('utf-8');

/** Checked by tag, not `instanceof`, so buffers from another realm (iframe, offscreen page) pass. */
function isArrayBuffer(data: unknown): data is ArrayBuffer {
  return Object.prototype.toString.call(data) === '[object ArrayBuffer]';
}

/** A view over the caller's memory: no copy, so preview bytes can be handed on as a subarray. */
function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function hexSample(bytes: Uint8Array): string {
  let s = '';
  const n = Math.min(bytes.length, SAMPLE_BYTES);
  for (let i = 0; i < n; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

export class FrameDecoder {
  readonly stats: DecoderStats = {
    frames: 0,
    parseErrors: 0,
    unknownTypes: 0,
    unknownBinary: 0,
    previews: 0,
  };

  /**
   * Returns the event, or null for frames that are deliberately dropped (binary type 2 and unknown
   * binary types, counted in `stats.unknownBinary`).
   */
  decode(data: string | ArrayBuffer | ArrayBufferView): ComfyEvent | null {
    this.stats.frames++;
    let event: ComfyEvent | null;
    try {
      if (typeof data === 'string') event = this.decodeText(data);
      else if (isArrayBuffer(data) || ArrayBuffer.isView(data)) event = this.decodeBinary(bytesOf(data));
      else event = { type: 'parse_error', reason: `unsupported frame payload: ${payloadKind(data)}` };
    } catch (err) {
      // Defence in depth: the paths above are written not to throw, but a frame must never escape.
      event = {
        type: 'parse_error',
        reason: `decoder failure: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (event === null) return null;
    switch (event.type) {
      case 'parse_error':
        this.stats.parseErrors++;
        break;
      case 'unknown':
        this.stats.unknownTypes++;
        break;
      case 'preview':
        this.stats.previews++;
        break;
    }
    return event;
  }

  private decodeText(text: string): ComfyEvent {
    let raw: unknown;
    try {
      raw = parseJsonLenient(text);
    } catch (err) {
      const reason = err instanceof JsonParseError ? err.message : 'malformed JSON';
      return { type: 'parse_error', reason, sample: text.slice(0, SAMPLE_CHARS) };
    }
    return toComfyEvent(raw);
  }

  private decodeBinary(bytes: Uint8Array): ComfyEvent | null {
    if (bytes.length < 4) return binaryError(`binary frame of ${bytes.length} bytes has no type word`, bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = view.getUint32(0, false);
    switch (type) {
      case BinaryEventType.PREVIEW_IMAGE: {
        if (bytes.length < 8) return binaryError('type-1 preview truncated before its format word', bytes);
        const format = view.getUint32(4, false);
        return { type: 'preview', mime: TYPE1_MIME[format] ?? UNKNOWN_IMAGE_MIME, bytes: bytes.subarray(8) };
      }
      case BinaryEventType.TEXT: {
        const body = lengthPrefixed(view, bytes, 'type-3 text');
        if ('type' in body) return body;
        return { type: 'progress_text', nodeId: utf8.decode(body.head), text: utf8.decode(body.rest) };
      }
      case BinaryEventType.PREVIEW_IMAGE_WITH_METADATA: {
        const body = lengthPrefixed(view, bytes, 'type-4 preview');
        if ('type' in body) return body;
        return previewWithMetadata(body.head, body.rest, bytes);
      }
      default:
        // Type 2 never reaches the wire and unknown types are ignored (comfyui-protocol.md §10 item 9).
        this.stats.unknownBinary++;
        return null;
    }
  }
}

/** `[type][u32 len][len bytes][rest]`: the length must fit inside the frame. */
function lengthPrefixed(
  view: DataView,
  bytes: Uint8Array,
  what: string,
): { head: Uint8Array; rest: Uint8Array } | Extract<ComfyEvent, { type: 'parse_error' }> {
  if (bytes.length < 8) return binaryError(`${what} truncated before its length word`, bytes);
  const len = view.getUint32(4, false);
  if (len > bytes.length - 8) {
    return binaryError(`${what} length ${len} exceeds the ${bytes.length - 8} bytes that follow`, bytes);
  }
  return { head: bytes.subarray(8, 8 + len), rest: bytes.subarray(8 + len) };
}

function previewWithMetadata(metaBytes: Uint8Array, image: Uint8Array, frame: Uint8Array): ComfyEvent {
  let raw: unknown;
  try {
    raw = parseJsonLenient(utf8.decode(metaBytes));
  } catch {
    return binaryError('type-4 preview metadata is not JSON', frame);
  }
  const r = previewMetadataSchema.safeParse(raw);
  if (!r.success) return binaryError('type-4 preview metadata is not an object', frame);
  const m = r.data;
  const event: Extract<ComfyEvent, { type: 'preview' }> = {
    type: 'preview',
    mime: m.image_type ?? UNKNOWN_IMAGE_MIME,
    bytes: image,
  };
  if (m.prompt_id != null) event.promptId = m.prompt_id;
  if (m.node_id != null) event.nodeId = m.node_id;
  if (m.display_node_id != null) event.displayNodeId = m.display_node_id;
  return event;
}

function binaryError(reason: string, bytes: Uint8Array): Extract<ComfyEvent, { type: 'parse_error' }> {
  return { type: 'parse_error', reason, sample: hexSample(bytes) };
}

function payloadKind(data: unknown): string {
  if (data === null) return 'null';
  if (typeof data === 'object') return (data as object).constructor?.name ?? 'object';
  return typeof data;
}
