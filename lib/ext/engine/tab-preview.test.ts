import { describe, expect, it } from 'vitest';
import { tabPreviewEvent } from './engine';

describe('tabPreviewEvent', () => {
  it.each([
    [{ prompt_id: 'p', mime: 'image/webp', image: 'AQID', node_id: '3' }, [1, 2, 3]],
    [{ prompt_id: 'p', mime: 'text/html', image: 'AQID' }, null],
    [{ prompt_id: 'p', mime: 'image/png', image: '***' }, null],
    [{ mime: 'image/png', image: 'AQID' }, null],
  ])('%o → %o', (data, bytes) => {
    const ev = tabPreviewEvent(data);
    if (bytes === null) expect(ev).toBeNull();
    else expect(ev).toMatchObject({ type: 'preview', promptId: 'p', bytes: new Uint8Array(bytes) });
  });
});
