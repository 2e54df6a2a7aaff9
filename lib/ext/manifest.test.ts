import { describe, expect, it } from 'vitest';
import { DEV_EXTENSION_KEY, GECKO_ID, manifestFor } from './manifest';
import { BUILTIN_HOST_PERMISSIONS, OPTIONAL_HOST_PERMISSIONS } from './permissions';

describe('the manifest per target', () => {
  it.each([
    ['chrome', false, true],
    ['chrome', true, false],
    ['firefox', false, false],
    ['firefox', true, false],
  ])('%s (store: %s) carries the development key: %s', (browser, store, keyed) => {
    const m = manifestFor({ browser, store });
    if (keyed) expect(m.key).toBe(DEV_EXTENSION_KEY);
    else expect(m).not.toHaveProperty('key');
  });

  it('Chrome: MV3 permissions with optional host permissions for servers the user adds', () => {
    const m = manifestFor({ browser: 'chrome', store: true });
    // no content script in the manifest: the tab bridge is registered at runtime, per configured server
    expect(m).not.toHaveProperty('content_scripts');
    expect(m.permissions).toEqual([
      'offscreen',
      'alarms',
      'notifications',
      'declarativeNetRequestWithHostAccess',
      'sidePanel',
      'scripting',
    ]);
    expect(m.host_permissions).toEqual(BUILTIN_HOST_PERMISSIONS);
    expect(m.optional_host_permissions).toEqual(OPTIONAL_HOST_PERMISSIONS);
  });

  it('Firefox: MV2 puts optional host patterns in optional_permissions, and names its add-on id', () => {
    const m = manifestFor({ browser: 'firefox', store: false });
    expect(m.optional_permissions).toEqual(OPTIONAL_HOST_PERMISSIONS);
    // WXT moves host_permissions into MV2's `permissions`; it drops optional_host_permissions
    expect(m.host_permissions).toEqual(BUILTIN_HOST_PERMISSIONS);
    expect(m.permissions).not.toContain('offscreen');
    // the tab bridge registers through contentScripts.register there, which needs host permission only
    expect(m.permissions).not.toContain('scripting');
    expect(m.browser_specific_settings?.gecko).toMatchObject({ id: GECKO_ID, strict_min_version: '128.0' });
    expect(m).not.toHaveProperty('minimum_chrome_version');
  });
});
