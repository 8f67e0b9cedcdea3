/**
 * The orchestrator's control server: a private folder (0700) with an owner-only socket (0600),
 * a run token each child must present in its hello; strangers (wrong token, no hello, garbage,
 * a role already taken) are closed and not counted and do not disturb the run. A child that does
 * not report in time is named.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectChannel, type JsonLineChannel } from '../../src/control/channel.ts';
import type { ChildMessage, OrchestratorMessage } from '../../src/control/messages.ts';
import { expectFromChild, startControlServer, type ControlServer } from '../../lab/run/control-server.ts';

type ChildEnd = JsonLineChannel<OrchestratorMessage, ChildMessage>;

let tmp: string;
let server: ControlServer | undefined;
const opened: ChildEnd[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'glasslab-ctl-test-'));
});
afterEach(async () => {
  for (const end of opened.splice(0)) end.close();
  await server?.close();
  server = undefined;
  await rm(tmp, { recursive: true, force: true });
});

async function connect(socketPath: string): Promise<ChildEnd> {
  const end = await connectChannel<OrchestratorMessage, ChildMessage>(socketPath);
  opened.push(end);
  return end;
}

function closed(end: ChildEnd): Promise<void> {
  return new Promise((resolve) => end.onClose(resolve));
}

describe('control server', () => {
  it('keeps its socket owner-only inside a private folder, removed on close', async () => {
    server = await startControlServer(tmp);
    const dir = path.dirname(server.socketPath);
    expect(path.basename(dir)).toMatch(new RegExp(`^glasslab-ctl-${process.pid}-\\d+-`));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(server.socketPath)).mode & 0o777).toBe(0o600);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    await server.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('strangers that connect first (wrong token, garbage, silence, early close) are refused and do not disturb the run', async () => {
    server = await startControlServer(tmp);
    const accepted = server.acceptChildren(5000);
    const wrongToken = await connect(server.socketPath);
    const wrongTokenClosed = closed(wrongToken);
    wrongToken.send({ type: 'hello', role: 'sender', pid: 1, token: 'f'.repeat(64) });
    const noToken = await connect(server.socketPath);
    const noTokenClosed = closed(noToken);
    noToken.send({ type: 'hello', role: 'receiver', pid: 1 } as unknown as ChildMessage);
    const garbage = net.createConnection(server.socketPath);
    garbage.write('not json at all\n');
    const silent = await connect(server.socketPath);
    const leaver = net.createConnection(server.socketPath);
    leaver.destroy();
    await Promise.all([wrongTokenClosed, noTokenClosed]);

    const sender = await connect(server.socketPath);
    const receiver = await connect(server.socketPath);
    sender.send({ type: 'hello', role: 'sender', pid: 10, token: server.token });
    receiver.send({ type: 'hello', role: 'receiver', pid: 11, token: server.token });
    const channels = await accepted;
    expect(server.refused).toBeGreaterThanOrEqual(2);

    // the accepted channels are the children's, not a stranger's
    const ready = channels.sender.next('ready', 2000);
    sender.send({ type: 'ready', detail: { who: 'sender' } });
    expect((await ready).detail).toEqual({ who: 'sender' });
    const configured = receiver.next('configure', 2000);
    channels.receiver.send({ type: 'start' });
    channels.receiver.send({ type: 'configure', config: { role: 'receiver' } as never });
    expect((await configured).config.role).toBe('receiver');

    // a second "sender" with the right token, after both were taken, is refused too
    const late = await connect(server.socketPath);
    const lateClosed = closed(late);
    late.send({ type: 'hello', role: 'sender', pid: 12, token: server.token });
    await lateClosed;
    garbage.destroy();
    silent.close();
  });

  it('a role taken twice keeps the first child', async () => {
    server = await startControlServer(tmp);
    const accepted = server.acceptChildren(5000);
    const first = await connect(server.socketPath);
    first.send({ type: 'hello', role: 'sender', pid: 10, token: server.token });
    await new Promise((r) => setTimeout(r, 50));
    const second = await connect(server.socketPath);
    const secondClosed = closed(second);
    second.send({ type: 'hello', role: 'sender', pid: 13, token: server.token });
    await secondClosed;
    const receiver = await connect(server.socketPath);
    receiver.send({ type: 'hello', role: 'receiver', pid: 11, token: server.token });
    const channels = await accepted;
    const ready = channels.sender.next('ready', 2000);
    first.send({ type: 'ready', detail: { first: true } });
    expect((await ready).detail).toEqual({ first: true });
  });

  it('names the children that did not connect', async () => {
    server = await startControlServer(tmp);
    const accepted = server.acceptChildren(200);
    const sender = await connect(server.socketPath);
    sender.send({ type: 'hello', role: 'sender', pid: 10, token: server.token });
    await expect(accepted).rejects.toThrow('receiver did not connect within 200 ms');
  });

  it('a stop timeout names the child that hung', async () => {
    server = await startControlServer(tmp);
    const accepted = server.acceptChildren(5000);
    const sender = await connect(server.socketPath);
    const receiver = await connect(server.socketPath);
    sender.send({ type: 'hello', role: 'sender', pid: 10, token: server.token });
    receiver.send({ type: 'hello', role: 'receiver', pid: 11, token: server.token });
    const channels = await accepted;
    await expect(expectFromChild(channels.receiver, 'receiver', 'stopped', 100)).rejects.toThrow(/^receiver did not report stopped within 100 ms$/);
    const gone = expectFromChild(channels.sender, 'sender', 'stopped', 5000);
    sender.close();
    await expect(gone).rejects.toThrow('sender closed its control channel before it reported stopped');
  });
});
