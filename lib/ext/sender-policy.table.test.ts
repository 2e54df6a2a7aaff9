/**
 * The sender policy, case by case: extension pages may send anything of ours, a configured server's tab
 * only the tab bridge's messages, and every other sender nothing.
 */
import { describe, expect, it } from 'vitest';
import type { MessageSender } from './messaging';
import { isTabMessage, senderKind, senderOrigin, senderPolicy } from './sender-policy';

const CHROME = 'chrome-extension://pjkjafjciljoajlgpeaaopnjbmdhjion/';
const FIREFOX = 'moz-extension://6b3f2a1e-7c4d-4e5f-9a8b-1c2d3e4f5a6b/';
const SERVERS = ['http://127.0.0.1:8188/', 'https://comfy.example.com/base/'];
const isServerPage = (url: string) => SERVERS.some((s) => url.startsWith(s));

const page = (base: string, path: string): MessageSender => ({ url: `${base}${path}`, id: 'x' });
const tab = (url: string): MessageSender => ({ url, tab: { id: 7, windowId: 1 }, id: 'x' });

describe('sender policy', () => {
  it.each([
    // the extension's own contexts: popup, side panel, options (also when opened in a tab), offscreen, worker
    ['the popup', 'bg:saveServer', page(CHROME, 'popup.html'), true],
    ['the options page in a tab', 'bg:runDoctor', { ...page(CHROME, 'options.html'), tab: { id: 3 } }, true],
    ['the offscreen engine', 'bg:jobFinished', page(CHROME, 'offscreen.html'), true],
    ['the service worker', 'engine:reload', page(CHROME, 'background.js'), true],
    ["Firefox's background page", 'bg:activity', page(FIREFOX, '_generated_background_page.html'), true],
    ["Firefox's options page", 'bg:saveServer', page(FIREFOX, 'options.html'), true],
    // content scripts: whatever page they run in, never a bg: or engine: command
    ['a content script on a non-server loopback page', 'bg:saveServer', tab('http://127.0.0.1:9000/'), false],
    ['a content script on a web site', 'bg:runDoctor', tab('https://evil.example/'), false],
    ["a content script on the server's own tab", 'bg:saveServer', tab('http://127.0.0.1:8188/'), false],
    ["a content script on the server's own tab", 'engine:cancelJob', tab('http://127.0.0.1:8188/'), false],
    ['a content script on the server page', 'engine:runDoctor', tab('http://127.0.0.1:8188/?x'), false],
    // the tab bridge: from a configured server's tab only
    ["the bridge on a server's tab", 'engine:tabFrames', tab('http://127.0.0.1:8188/'), true],
    [
      "the bridge under a server's path",
      'engine:tabReconnected',
      tab('https://comfy.example.com/base/'),
      true,
    ],
    ['the bridge on another port', 'engine:tabFrames', tab('http://127.0.0.1:8189/'), false],
    [
      'the bridge outside the server path',
      'engine:tabFrames',
      tab('https://comfy.example.com/other/'),
      false,
    ],
    ['a server page that is not a tab', 'engine:tabFrames', { url: 'http://127.0.0.1:8188/' }, false],
    ['an extension page', 'engine:tabFrames', page(CHROME, 'options.html'), false],
    ['a look-alike extension URL', 'bg:saveServer', tab('https://chrome-extension.evil/'), false],
    ['a sender without a URL', 'bg:saveServer', { id: 'x' }, false],
    ['a sender without a URL', 'engine:tabFrames', { tab: { id: 1 } }, false],
  ])('%s sending %s: %s', (_who, type, sender, allowed) => {
    const base = sender.url?.startsWith(FIREFOX) ? FIREFOX : CHROME;
    expect(senderPolicy({ extensionBase: base, isServerPage })(type, sender)).toBe(allowed);
  });

  it('another extension id in the base is another extension: its pages are strangers', () => {
    const other = 'chrome-extension://aaaabbbbccccddddeeeeffffgggghhhh/';
    expect(senderKind({ extensionBase: CHROME, isServerPage }, page(other, 'x.html'))).toBe('other');
  });

  it('without a server list no tab is a server tab', () => {
    expect(senderPolicy({ extensionBase: CHROME })('engine:tabFrames', tab('http://127.0.0.1:8188/'))).toBe(
      false,
    );
  });

  it('refuses a base without its trailing slash (a prefix that would also match look-alikes)', () => {
    expect(() => senderPolicy({ extensionBase: 'chrome-extension://abc' })).toThrow(/slash/);
  });

  it.each([
    ['engine:tabFrames', true],
    ['engine:tabReconnected', true],
    ['engine:status', false],
    ['bg:tabFrames', false],
  ])('%s is a tab message: %s', (type, expected) => {
    expect(isTabMessage(type)).toBe(expected);
  });

  it('names a sender by origin only, never by a URL that may carry a token', () => {
    expect(senderOrigin({ url: 'http://127.0.0.1:8188/?token=secret' })).toBe('http://127.0.0.1:8188');
    expect(senderOrigin({})).toBe('unknown');
    expect(senderOrigin({ url: 'not a url' })).toBe('unknown');
  });
});
