import { describe, expect, it } from 'vitest';
import { isPlainHttpRemote, normaliseServerUrl, permissionOriginsFor } from './permissions';

describe('permissionOriginsFor', () => {
  it.each([
    ['http://127.0.0.1:8188', []],
    ['http://localhost:8000/', []],
    ['https://localhost:8188', ['https://localhost/*', 'wss://localhost/*']],
    ['http://192.168.1.20:8188', ['http://192.168.1.20/*', 'ws://192.168.1.20/*']],
    ['https://comfy.example.com/proxy/', ['https://comfy.example.com/*', 'wss://comfy.example.com/*']],
    ['http://[::1]:8188', ['http://[::1]/*', 'ws://[::1]/*']],
    ['ftp://host', []],
    ['not a url', []],
  ])('asks for %s → %o', (url, expected) => {
    expect(permissionOriginsFor(url)).toEqual(expected);
  });
});

describe('normaliseServerUrl', () => {
  it.each([
    ['http://127.0.0.1:8188/', 'http://127.0.0.1:8188'],
    [' https://h.example/comfy/ ', 'https://h.example/comfy'],
    ['http://user:pw@host:1', null],
    ['javascript:alert(1)', null],
  ])('%s → %s', (url, expected) => {
    expect(normaliseServerUrl(url)).toBe(expected);
  });
});

describe('isPlainHttpRemote: what would cross the network unencrypted', () => {
  it.each([
    ['http://192.168.1.20:8787', true],
    ['http://pulse.example.com', true],
    ['HTTP://Pulse.Example.com/v1', true],
    ['http://10.0.0.1', true],
    ['http://128.0.0.1:8787', true],
    ['http://127.0.0.1.evil.example', true],
    ['http://localhost.evil.example:8787', true],
    ['https://pulse.example.com', false],
    ['https://192.168.1.20:8787', false],
    ['http://127.0.0.1:8787', false],
    ['http://127.1.2.3:8787', false],
    ['http://localhost:8787', false],
    ['http://pulse.localhost:8787', false],
    ['http://[::1]:8787', false],
    ['', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isPlainHttpRemote(url)).toBe(expected);
  });
});
