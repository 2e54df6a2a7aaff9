/** Deterministic test doubles for code built on @comfypulse/comfy (no Node built-ins). */
export * from './fake-clock';
export * from './fake-websocket';
