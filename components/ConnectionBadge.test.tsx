// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionState } from '@/lib/comfy/types';
import { installI18n } from '@/lib/ext/ui/testing';
import { ConnectionBadge } from './ConnectionBadge';

beforeAll(() => installI18n());
afterEach(cleanup);

describe('ConnectionBadge', () => {
  it.each<[ConnectionState, string]>([
    ['connected', 'Connected'],
    ['connecting', 'Connecting'],
    ['reconnecting', 'Reconnecting'],
    ['offline', 'Offline'],
    ['rejected', 'Refused'],
    ['auth-required', 'Login needed'],
  ])('shows %s as data-state and in words (%s)', (state, words) => {
    render(<ConnectionBadge serverName="Local" state={state} />);
    const badge = screen.getByTestId('connection-status');
    expect(badge.getAttribute('data-state')).toBe(state);
    expect(badge.textContent).toContain(words);
    expect(badge.className).toContain(`conn-${state}`);
    expect(badge.textContent).toContain('Local');
  });

  it('puts the reason into the tooltip as text', () => {
    render(<ConnectionBadge serverName="Local" state="rejected" detail="<b>403</b>" />);
    expect(screen.getByTestId('connection-status').getAttribute('title')).toBe('Refused: <b>403</b>');
  });
});
