/**
 * @comfypulse/comfy: a framework-agnostic ComfyUI protocol client (service worker, extension page,
 * web page, Node 20 with a WebSocket constructor). React bindings live in `@comfypulse/comfy/react`;
 * deterministic test doubles in `@comfypulse/comfy/testing`.
 */
export * from './backoff';
export * from './cancel';
export * from './client';
export * from './decode';
export * from './errors';
export * from './http';
export * from './http-schemas';
export * from './json';
export * from './messages';
export * from './outputs';
export * from './reconcile';
export * from './socket';
export * from './tracker';
export * from './types';
