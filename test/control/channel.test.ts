import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonLineChannel } from '../../src/control/channel.ts';

type Msg = { type: 'a'; n: number } | { type: 'b'; n: number };

/** A connected pair of channels over a socketpair-like local connection. */
async function pair(): Promise<{ left: JsonLineChannel<Msg, Msg>; right: JsonLineChannel<Msg, Msg>; close: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.createConnection(port, '127.0.0.1');
  const serverSide = await accepted;
  return {
    left: new JsonLineChannel<Msg, Msg>(client),
    right: new JsonLineChannel<Msg, Msg>(serverSide),
    close: () => {
      client.destroy();
      serverSide.destroy();
      server.close();
    },
  };
}

describe('JsonLineChannel', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('a reply that arrives before next() is called is still delivered, in order, once', async () => {
    const p = await pair();
    close = p.close;
    const seen: number[] = [];
    p.right.onMessage((m) => seen.push(m.n));
    p.left.send({ type: 'a', n: 1 });
    p.left.send({ type: 'b', n: 2 });
    p.left.send({ type: 'a', n: 3 });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([1, 2, 3]);
    expect((await p.right.next('a', 1000)).n).toBe(1);
    expect((await p.right.next('a', 1000)).n).toBe(3);
    expect((await p.right.next('b', 1000)).n).toBe(2);
    await expect(p.right.next('a', 50)).rejects.toThrow('no "a" within 50 ms');
  });

  it('two waiters for different types and a message handler all see what they should', async () => {
    const p = await pair();
    close = p.close;
    const all: string[] = [];
    p.right.onMessage((m) => all.push(m.type));
    const a = p.right.next('a', 1000);
    const b = p.right.next('b', 1000);
    p.left.send({ type: 'b', n: 7 });
    p.left.send({ type: 'a', n: 8 });
    expect((await a).n).toBe(8);
    expect((await b).n).toBe(7);
    expect(all).toEqual(['b', 'a']);
  });

  it('malformed lines are reported, never thrown', async () => {
    const p = await pair();
    close = p.close;
    const errors: string[] = [];
    p.right.onError((e) => errors.push(e.message));
    (p.left as unknown as { socket: net.Socket }).socket.write('not json\n{"x":1}\n');
    p.left.send({ type: 'a', n: 1 });
    expect((await p.right.next('a', 1000)).n).toBe(1);
    expect(errors).toEqual([expect.stringContaining('malformed line'), 'control channel: message without a type']);
  });
});
