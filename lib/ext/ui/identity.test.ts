import { describe, expect, it } from 'vitest';
import { makeJob } from '../testing/records';
import { errorLine, jobFileName, jobIdentity } from './identity';

const saved = { '9': { images: [{ filename: 'portrait_00012_.png', subfolder: '', type: 'output' }] } };
const classes = { '3': 'KSampler', '8': 'VAEDecode', '9': 'SaveImage' };

describe('jobIdentity', () => {
  it.each([
    [
      'workflow name, then the output file',
      { workflowName: 'Portraits v2', outputs: saved, classTypes: classes },
      'Portraits v2',
      'portrait_00012_.png',
    ],
    [
      'output file, then the output node',
      { outputs: saved, classTypes: classes },
      'portrait_00012_.png',
      'SaveImage',
    ],
    ['output node of a running job (no outputs yet)', { classTypes: classes }, 'SaveImage', undefined],
    [
      'the last output-like node when there are several',
      { classTypes: { '2': 'PreviewImage', '10': 'SaveImage', '4': 'KSampler' } },
      'SaveImage',
      undefined,
    ],
    ['nothing known', {}, undefined, undefined],
    [
      'a blank workflow name is no name',
      { workflowName: '   ', outputs: saved, classTypes: classes },
      'portrait_00012_.png',
      'SaveImage',
    ],
    [
      'temp previews only when nothing was saved',
      {
        outputs: { '5': { images: [{ filename: 'ComfyUI_temp_x.png', type: 'temp' }] } },
        classTypes: { '5': 'PreviewImage' },
      },
      'ComfyUI_temp_x.png',
      'PreviewImage',
    ],
  ])('%s', (_name, extra, title, detail) => {
    expect(jobIdentity(makeJob('s', 'p', 'success', 1, extra))).toEqual({ title, detail });
  });

  it('shortens a very long name and folds its whitespace', () => {
    const t = jobIdentity(makeJob('s', 'p', 'success', 1, { workflowName: `a\n${'b'.repeat(300)}` })).title!;
    expect(t.length).toBe(120);
    expect(t.startsWith('a b')).toBe(true);
    expect(t.endsWith('…')).toBe(true);
  });
});

describe('jobFileName', () => {
  it.each([
    [{ workflowName: 'Portraits v2' }, 'Portraits-v2-5fc0e82f.gif'],
    [{ outputs: saved, classTypes: classes }, 'portrait_00012_-5fc0e82f.gif'],
    [{ workflowName: '../../etc/passwd' }, 'etc-passwd-5fc0e82f.gif'],
    [{ workflowName: 'Ключ: 猫 / "x"' }, 'Ключ-猫-x-5fc0e82f.gif'],
    [{}, 'comfypulse-5fc0e82f.gif'],
    [{ workflowName: '***' }, 'comfypulse-5fc0e82f.gif'],
  ])('%o → %s', (extra, name) => {
    expect(jobFileName(makeJob('s', '5fc0e82f-aaaa-bbbb', 'success', 1, extra), 'gif')).toBe(name);
  });
});

describe('errorLine', () => {
  it.each([
    [
      { nodeType: 'VAEDecode', message: 'CUDA out of memory', traceback: [] },
      'VAEDecode: CUDA out of memory',
    ],
    [{ message: 'boom', traceback: [] }, 'boom'],
    [{ nodeType: 'PeerFail', message: 'PeerFail: intentional', traceback: [] }, 'PeerFail: intentional'],
    [undefined, undefined],
  ])('%o → %s', (error, line) => {
    expect(errorLine(makeJob('s', 'p', 'error', 1, error ? { error } : {}))).toBe(line);
  });
});
