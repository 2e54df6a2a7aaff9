// The e2e suite and the extension benchmarks need 127.0.0.1:8188 free; when something else holds it, they
// say so in one line that names the process, instead of a raw EADDRINUSE. Tried here on a free port.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, portOwner } from './port-lock';

describe('assertPortFree', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const listen = async () => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  };

  it('names the process that holds the port and what to do, in one line', async () => {
    const port = await listen();
    expect(portOwner(port)).toMatchObject({ pid: process.pid, command: expect.stringContaining('node') });
    const err = await assertPortFree(port, 'the e2e suite runs its simulator there').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      new RegExp(
        `^Port ${port} is in use by process ${process.pid} \\(.*node.*\\); the e2e suite runs its simulator there\\. Stop it \\(kill ${process.pid}\\) or run again once the port is free\\.$`,
      ),
    );
  });

  it('passes once the port is free again, and names no owner', async () => {
    const port = await listen();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(portOwner(port)).toBeNull();
    await expect(assertPortFree(port, 'x')).resolves.toBeUndefined();
  });
});
