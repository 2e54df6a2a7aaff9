/**
 * A scriptable WHATWG-style WebSocket for deterministic tests. Every constructed socket is recorded in
 * `sockets`; the test plays the server: `open()`, `receive()`, `drop()`, `failHandshake()`.
 */
import type { WebSocketCtor, WebSocketLike } from '../types';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export class FakeWebSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = CONNECTING;
  /** Text frames the client sent, in order. */
  readonly sent: string[] = [];
  /** The code the client closed with, when it did. */
  closedByClient: number | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string; wasClean?: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
  }

  /** Client-initiated close; like a browser, the close event comes later (call `finishClose`). */
  close(code = 1000): void {
    if (this.readyState === CLOSED || this.readyState === CLOSING) return;
    this.closedByClient = code;
    this.readyState = CLOSING;
  }

  // --- server side ---
  open(): void {
    this.readyState = OPEN;
    this.onopen?.({});
  }

  receive(data: unknown): void {
    this.onmessage?.({
      data: typeof data === 'object' && !(data instanceof ArrayBuffer) ? JSON.stringify(data) : data,
    });
  }

  /** The connection ends (server restart, network): close event with `code`. */
  drop(code = 1006): void {
    this.readyState = CLOSED;
    this.onclose?.({ code, reason: '', wasClean: false });
  }

  /** A refused or failed handshake as a browser reports it: error, then close 1006. */
  failHandshake(): void {
    this.readyState = CLOSED;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: '', wasClean: false });
  }

  /** Delivers the close event for a client-initiated close. */
  finishClose(code = this.closedByClient ?? 1000): void {
    this.readyState = CLOSED;
    this.onclose?.({ code, reason: '', wasClean: true });
  }

  /** Parsed JSON of every text frame the client sent. */
  sentJson(): unknown[] {
    return this.sent.map((s) => JSON.parse(s));
  }
}

/** A constructor bound to a fresh registry of sockets. */
export function fakeWebSocketServer(): {
  WebSocket: WebSocketCtor;
  sockets: FakeWebSocket[];
  last(): FakeWebSocket;
} {
  const sockets: FakeWebSocket[] = [];
  class Recorded extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Recorded,
    sockets,
    last() {
      const s = sockets[sockets.length - 1];
      if (!s) throw new Error('no socket was created');
      return s;
    },
  };
}
