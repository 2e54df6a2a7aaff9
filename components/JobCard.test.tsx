// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobStatus } from '@/lib/comfy/types';
import type { CancelOutcome } from '@/lib/ext/protocol';
import { makeJob } from '@/lib/ext/testing/records';
import { installI18n } from '@/lib/ext/ui/testing';
import { JobCard } from './JobCard';

beforeAll(() => installI18n());
afterEach(cleanup);

const NOW = 100_000;

function running(extra = {}) {
  return makeJob('s1', 'abcdef0123456789', 'running', 1_000, {
    startedAt: 60_000,
    progress: 0.4,
    currentNode: '3',
    classTypes: { '3': 'KSampler' },
    ...extra,
  });
}

describe('JobCard', () => {
  it.each<JobStatus>(['pending', 'running', 'success', 'error', 'interrupted', 'cancelled', 'lost'])(
    'exposes status %s through data-status and the prompt id through data-prompt-id',
    (status) => {
      render(<JobCard job={makeJob('s1', 'p-1', status, 0)} now={NOW} />);
      const card = screen.getByTestId('job-card');
      expect(card.getAttribute('data-status')).toBe(status);
      expect(card.getAttribute('data-prompt-id')).toBe('p-1');
      expect(screen.getByTestId('job-status').textContent).not.toBe('');
    },
  );

  it('reports progress as an integer percentage on a progressbar', () => {
    render(<JobCard job={running({ progress: 0.426 })} now={NOW} />);
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('43');
    expect(bar.getAttribute('aria-valuemax')).toBe('100');
  });

  it('animates the bar of a running job that reports no step progress, without inventing a value', () => {
    const { rerender } = render(<JobCard job={running({ progress: 0 })} now={NOW} />);
    const bar = () => screen.getByRole('progressbar');
    expect(bar().className).toContain('progress-busy');
    expect(bar().getAttribute('aria-valuenow')).toBe('0');
    rerender(<JobCard job={running({ progress: 0.2 })} now={NOW} />);
    expect(bar().className).not.toContain('progress-busy');
  });

  it('shows a finished job at 100%', () => {
    render(<JobCard job={makeJob('s1', 'p', 'success', 0, { progress: 0.9 })} now={NOW} />);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  });

  it('shows the current node by class type, the elapsed time and the estimate from the injected clock', () => {
    render(<JobCard job={running()} now={NOW} />);
    expect(screen.getByTestId('job-current-node').textContent).toBe('KSampler');
    // 40 s elapsed at 40%: 60 s left
    expect(screen.getByTestId('job-elapsed').textContent).toBe('0:40 elapsed');
    expect(screen.getByTestId('job-eta').textContent).toBe('about 1:00 left');
  });

  it('falls back to the node id when the class type is unknown', () => {
    render(<JobCard job={running({ classTypes: {} })} now={NOW} />);
    expect(screen.getByTestId('job-current-node').textContent).toBe('Node 3');
  });

  it.each<[JobStatus, boolean]>([
    ['pending', true],
    ['running', true],
    ['success', false],
    ['error', false],
    ['interrupted', false],
    ['cancelled', false],
    ['lost', false],
  ])('offers cancel for a %s job: %s', (status, shown) => {
    render(
      <JobCard
        job={makeJob('s1', 'p', status, 0)}
        now={NOW}
        onCancel={async () => ({ ok: true, method: 'interrupt' })}
      />,
    );
    expect(screen.queryByTestId('job-cancel') !== null).toBe(shown);
  });

  it('keeps the stored status while a cancel is in flight and shows a refusal', async () => {
    let resolve!: (r: CancelOutcome) => void;
    const onCancel = vi.fn(() => new Promise<CancelOutcome>((r) => (resolve = r)));
    const job = running();
    render(<JobCard job={job} now={NOW} onCancel={onCancel} />);
    fireEvent.click(screen.getByTestId('job-cancel'));
    expect(onCancel).toHaveBeenCalledOnce();
    expect(screen.getByTestId('job-card').getAttribute('data-status')).toBe('running');
    expect((screen.getByTestId('job-cancel') as HTMLButtonElement).disabled).toBe(true);
    await act(async () => resolve({ ok: false, reason: 'finished', message: 'already done' }));
    expect(screen.getByTestId('job-cancel-error').textContent).toBe('already done');
    expect((screen.getByTestId('job-cancel') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows the live preview while active and the output thumbnail once finished', () => {
    const { rerender } = render(<JobCard job={running()} now={NOW} previewUrl="blob:p1" thumbUrl="blob:t" />);
    expect(screen.getByTestId('job-preview').getAttribute('src')).toBe('blob:p1');
    expect(screen.queryByTestId('job-thumbnail')).toBeNull();
    rerender(
      <JobCard
        job={{ ...running(), status: 'success', active: 0 }}
        now={NOW}
        previewUrl="blob:p1"
        thumbUrl="blob:t"
      />,
    );
    expect(screen.getByTestId('job-thumbnail').getAttribute('src')).toBe('blob:t');
    expect(screen.queryByTestId('job-preview')).toBeNull();
  });

  it('names the failing node and the message of an error', () => {
    const job = makeJob('s1', 'p', 'error', 0, {
      error: { nodeId: '7', nodeType: 'VAEDecode', message: 'CUDA out of memory', traceback: [] },
    });
    render(<JobCard job={job} now={NOW} />);
    expect(screen.getByTestId('job-error').textContent).toBe('VAEDecode CUDA out of memory');
  });
});
