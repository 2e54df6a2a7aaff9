// @vitest-environment happy-dom
/**
 * Remote strings (node names, class types, error messages, tracebacks, filenames, server names) are only
 * ever rendered as text: markup inside them must show up literally and create no element.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeJob } from '@/lib/ext/testing/records';
import { installI18n, makeServices, renderWith } from '@/lib/ext/ui/testing';
import { ConnectionBadge } from './ConnectionBadge';
import { HistoryRow } from './HistoryList';
import { JobCard } from './JobCard';
import { ErrorDetail, NodeTimingTable, OutputsGallery } from './JobDetail';

const XSS = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>window.__pwned = 1</script>';

beforeAll(() => installI18n());
afterEach(cleanup);

describe('remote text is rendered as text', () => {
  it('shows an error message containing markup as text and creates no img', () => {
    const job = makeJob('s', 'p', 'error', 0, {
      error: { nodeId: '1', nodeType: SCRIPT, message: XSS, traceback: [] },
    });
    const { container } = render(<JobCard job={job} now={0} serverName={XSS} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(screen.getByTestId('job-error').textContent).toBe(`${SCRIPT} ${XSS}`);
    expect(container.textContent).toContain(XSS);
  });

  it('shows a class type with markup as the current node text', () => {
    const job = makeJob('s', 'p', 'running', 0, { currentNode: '3', currentClassType: XSS, startedAt: 0 });
    const { container } = render(<JobCard job={job} now={1} />);
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByTestId('job-current-node').textContent).toBe(XSS);
  });

  it('keeps a traceback and an exception type as text inside <pre>', () => {
    const { container } = render(
      <ErrorDetail
        error={{
          nodeType: XSS,
          nodeId: XSS,
          exceptionType: SCRIPT,
          message: XSS,
          traceback: [`${XSS}\n`, SCRIPT],
        }}
      />,
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(screen.getByTestId('job-traceback').textContent).toBe(`${XSS}\n${SCRIPT}`);
  });

  it('renders class types in the timing table, server names, workflow names and filenames as text', () => {
    const { container } = renderWith(
      makeServices(),
      <>
        <NodeTimingTable
          rows={[{ nodeId: XSS, classType: XSS, offsetMs: 0, durationMs: 1, cached: false }]}
        />
        <ConnectionBadge serverName={XSS} state="offline" detail={SCRIPT} />
        <HistoryRow
          job={makeJob('s', XSS, 'success', 0, { workflowName: SCRIPT, classTypes: { '1': XSS } })}
          now={0}
          server={{
            id: 's',
            name: XSS,
            url: 'http://h',
            tokenMode: 'query',
            enabled: true,
            clientId: 'c',
            createdAt: 0,
            hasToken: false,
          }}
          onOpen={() => {}}
        />
        <OutputsGallery
          job={makeJob('s', 'p', 'success', 0, {
            outputs: { '9': { audio: [{ filename: XSS, subfolder: '', type: 'output' }] } },
          })}
          server={undefined}
        />
      </>,
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toContain(XSS);
    expect(screen.getByTestId('history-title').textContent).toBe(SCRIPT);
    expect(screen.getByTestId('job-output-file').textContent).toBe(XSS);
  });

  it('uses no raw-HTML escape hatch anywhere in the UI sources', () => {
    const root = resolve(__dirname, '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) files.push(p);
      }
    };
    for (const d of [
      'components',
      'entrypoints/popup',
      'entrypoints/sidepanel',
      'entrypoints/options',
      'lib/ext/ui',
    ]) {
      walk(join(root, d));
    }
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.toMatch(
        /dangerouslySetInnerHTML|\.innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
      );
    }
  });
});
