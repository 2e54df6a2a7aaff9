// The dashboard's script as served (the esbuild bundle, lib code included) has no way to turn text into
// markup or code, and the page has nothing inline for the CSP to allow: so remote text can only ever be
// text. The DOM tests show it for each view; this pins it for all of them, including code added later.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDashboardScript } from './build-client';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './page';

describe('dashboard text safety', () => {
  let script = '';
  beforeAll(async () => {
    script = await buildDashboardScript();
  });

  it.each([
    ['innerHTML', /\binnerHTML\b/],
    ['outerHTML', /\bouterHTML\b/],
    ['insertAdjacentHTML', /\binsertAdjacentHTML\b/],
    ['document.write', /\bdocument\.write/],
    ['createContextualFragment', /createContextualFragment/],
    ['DOMParser', /\bDOMParser\b/],
    ['eval', /\beval\(/],
    ['new Function', /\bnew Function\b/],
    ['a style attribute', /setAttribute\(\s*["']style["']/],
  ])('the served script never uses %s', (_name, pattern) => {
    expect(script.length).toBeGreaterThan(1000);
    expect(script).not.toMatch(pattern);
  });

  it('has no inline script, style or event handler in the page', () => {
    expect(DASHBOARD_HTML).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(DASHBOARD_HTML).not.toMatch(/<style\b/);
    expect(DASHBOARD_HTML).not.toMatch(/\sstyle=/);
    expect(DASHBOARD_HTML).not.toMatch(/\son[a-z]+=/);
    // The stylesheet loads nothing from elsewhere.
    expect(DASHBOARD_CSS).not.toMatch(/url\(|@import/);
  });
});
