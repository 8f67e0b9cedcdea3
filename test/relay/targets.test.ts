// Relay target URLs (parseTargetUrl never throws, every refusal names the problem) and
// RelayTarget's reconnect policy in virtual time against a fake muxer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NativeRelayMuxer, RelayMuxerOptions, RelayMuxerState, RelayMuxerStats } from '../../src/native/types.ts';
import { RelayTarget, RelayTargetError, parseTargetUrl } from '../../src/relay/targets.ts';

describe('parseTargetUrl', () => {
  it.each([
    ['rtsp://127.0.0.1:8554/cam?transport=tcp', { protocol: 'rtsp', format: 'rtsp', url: 'rtsp://127.0.0.1:8554/cam', options: { rtsp_transport: 'tcp' } }],
    ['rtsp://u:p@host/a/b', { protocol: 'rtsp', format: 'rtsp', url: 'rtsp://u:p@host/a/b', options: {} }],
    ['srt://10.0.0.2:9000?latency=20&passphrase=0123456789', { protocol: 'srt', format: 'mpegts', url: 'srt://10.0.0.2:9000', options: { latency: '20000', passphrase: '0123456789', linger: '1' } }],
    ['srt://[::1]:9000', { protocol: 'srt', format: 'mpegts', url: 'srt://[::1]:9000', options: { linger: '1' } }],
    ['rtmp://127.0.0.1:1935/live/key', { protocol: 'rtmp', format: 'flv', url: 'rtmp://127.0.0.1:1935/live/key', options: {} }],
    ['whip://127.0.0.1:8080/whip/relay', { protocol: 'whip', url: 'http://127.0.0.1:8080/whip/relay' }],
    ['whips://media.example:443/w/1?token=abc.DEF-1', { protocol: 'whip', url: 'https://media.example/w/1', token: 'abc.DEF-1' }],
  ])('%s', (input, target) => {
    expect(parseTargetUrl(input)).toEqual({ ok: true, target });
  });

  it.each([
    [42, 'relay target: url must be a string (got number)'],
    ['', 'relay target: url must be 1..2048 characters (got 0)'],
    ['not a url', "relay target: url 'not a url' is not a URL"],
    ['http://x/y', "relay target: url must be whip://, whips://, rtsp://, srt:// or rtmp:// (got 'http://x/y')"],
    ['whip://h', "relay target: whip url 'whip://h' needs the endpoint's path (whip://host:port/path)"],
    ['whip://u:p@h/w', "relay target: whip url 'whip://u:p@h/w' takes no user:password (use ?token= for a bearer token)"],
    ['whip://h/w?room=1', "relay target: whip url parameter 'room' is not supported (allowed: token)"],
    ['whip://h/w?token=a&token=b', "relay target: whip url parameter 'token' is given twice"],
    ['whip://h/w?token=a%20b', 'relay target: whip url parameter token must be 1..4096 visible ASCII characters'],
    ['whip://%/ ?', "relay target: whip url 'whip://%/ ?' is not a valid http(s) URL once whip:// is read as http://"],
    ['srt://host', "relay target: srt url 'srt://host' needs a port (srt://host:port)"],
    ['srt://h:1?latency=abc', "relay target: srt url parameter latency must be an integer 0..60000 ms (got 'abc')"],
    ['srt://h:1?latency=60001', "relay target: srt url parameter latency must be an integer 0..60000 ms (got '60001')"],
    ['srt://h:1?passphrase=short', 'relay target: srt url parameter passphrase must be 10..79 characters (got 5)'],
    ['srt://h:1?mode=listener', "relay target: srt url parameter 'mode' is not supported (allowed: latency, passphrase)"],
    ['srt://u:p@h:1', "relay target: srt url 'srt://u:p@h:1' takes no user:password (use ?passphrase=)"],
    ['srt://h:1/path', "relay target: srt url 'srt://h:1/path' takes no path (got '/path')"],
    ['srt://h:1?latency=1&latency=2', "relay target: srt url parameter 'latency' is given twice"],
    ['rtsp://h:1', "relay target: rtsp url 'rtsp://h:1' needs a path (rtsp://host:port/name)"],
    ['rtsp://h/x?transport=sctp', "relay target: rtsp url parameter transport must be tcp or udp (got 'sctp')"],
    ['rtmp://h/live', "relay target: rtmp url 'rtmp://h/live' needs /app/stream in its path"],
    ['rtmp://h/live/k?x=1', "relay target: rtmp url parameter 'x' is not supported (it takes none)"],
    ['rtmp://h/live/k#f', "relay target: url 'rtmp://h/live/k#f' must not have a #fragment"],
  ])('%o is refused: %s', (input, message) => {
    const result = parseTargetUrl(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(RelayTargetError);
    expect(result.error.code).toBe('ERR_RELAY_URL');
    expect(result.error.message).toBe(message);
  });

  it('never throws on arbitrary input, and refusals are typed (fast-check)', () => {
    const scheme = fc.constantFrom('rtsp://', 'srt://', 'rtmp://', 'whip://', 'http://', '', 'srt:/', 'RTSP://');
    const structured = fc
      .tuple(scheme, fc.string({ maxLength: 30 }), fc.option(fc.integer({ min: -5, max: 70000 })), fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }))
      .map(([s, host, port, path, query]) => `${s}${host}${port === null ? '' : `:${port}`}/${path}?${query}`);
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.webUrl(), structured), (input) => {
        const result = parseTargetUrl(input);
        if (result.ok) {
          expect(['rtsp', 'srt', 'rtmp', 'whip']).toContain(result.target.protocol);
          expect(result.target.url).not.toContain('?');
        } else {
          expect(result.error).toBeInstanceOf(RelayTargetError);
          expect(result.error.code).toBe('ERR_RELAY_URL');
          expect(result.error.message).toMatch(/^relay target: /);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('maps SRT latency (ms) to libavformat µs for every valid value (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 1, max: 65535 }), (ms, port) => {
        const result = parseTargetUrl(`srt://127.0.0.1:${port}?latency=${ms}`);
        expect(result).toEqual({ ok: true, target: { protocol: 'srt', format: 'mpegts', url: `srt://127.0.0.1:${port}`, options: { latency: String(ms * 1000), linger: '1' } } });
      }),
    );
  });
});

/** A muxer whose state the test sets; records what it was given. */
class FakeMuxer implements NativeRelayMuxer {
  state: RelayMuxerState = 'connecting';
  error: string | undefined;
  written = 0;
  dropped = 0;
  constructor(readonly options: RelayMuxerOptions) {}
  write(_unit: Buffer, _pts: bigint, keyframe: boolean): boolean {
    if (this.state === 'failed' || (this.written === 0 && !keyframe)) return (this.dropped++, false);
    this.written++;
    return true;
  }
  stats(): RelayMuxerStats {
    const s: RelayMuxerStats = { bytes: this.written * 100, frames: this.written, dropped: this.dropped, state: this.state };
    if (this.error !== undefined) s.error = this.error;
    return s;
  }
  async close(): Promise<void> {
    this.state = 'closed';
  }
}

describe('RelayTarget reconnect (virtual time)', () => {
  const unit = Buffer.from([0, 0, 0, 1, 0x65, 1]);
  function target(reconnect = { delayMs: 500, maxTimeMs: 2000 }) {
    const made: FakeMuxer[] = [];
    let keyRequests = 0;
    const t = new RelayTarget({ url: 'srt://127.0.0.1:9000?latency=40', width: 320, height: 180, fps: 30, reconnect, onNeedKeyframe: () => keyRequests++ }, (o) => {
      const m = new FakeMuxer(o);
      made.push(m);
      return m;
    });
    return { t, made, keyRequests: () => keyRequests };
  }

  it('passes the parsed URL and options to the muxer', () => {
    const { made } = target();
    expect(made[0]!.options).toEqual({ url: 'srt://127.0.0.1:9000', format: 'mpegts', width: 320, height: 180, fps: 30, options: { latency: '40000', linger: '1' }, maxQueueAgeMs: 2000 }); // DEFAULT_MAX_QUEUE_AGE_MS
  });

  it('reopens after the delay, counts reconnects, asks for a keyframe, keeps totals', async () => {
    const { t, made, keyRequests } = target();
    expect(t.write(unit, 0n, true, 0)).toBe(true);
    made[0]!.state = 'open';
    t.write(unit, 1n, false, 33);
    expect(t.stats()).toMatchObject({ state: 'open', frames: 2, reconnects: 0 });
    made[0]!.state = 'failed';
    made[0]!.error = 'RelayMuxer(mpegts): av_write_frame: Broken pipe';
    expect(t.write(unit, 2n, false, 100)).toBe(false);
    expect(t.stats()).toMatchObject({ state: 'waiting', reconnects: 0, lastError: 'RelayMuxer(mpegts): av_write_frame: Broken pipe' });
    expect(t.pollTimeout()).toBe(600);
    expect(t.write(unit, 3n, false, 599)).toBe(false);
    expect(made).toHaveLength(1);
    t.handleTimeout(600);
    expect(made).toHaveLength(2);
    expect(keyRequests()).toBe(2);
    expect(t.stats()).toMatchObject({ state: 'connecting', reconnects: 1 });
    expect(t.write(unit, 4n, false, 633)).toBe(false); // the new muxer waits for a keyframe
    expect(t.write(unit, 5n, true, 666)).toBe(true);
    made[1]!.state = 'open';
    t.handleTimeout(700);
    await t.close();
    // 2 frames by the first muxer, 1 by the second; drops: 2 while waiting, 1 before the keyframe
    expect(t.stats()).toMatchObject({ state: 'closed', frames: 3, bytes: 300, dropped: 3, reconnects: 1 });
  });

  it('gives up when down longer than maxTimeMs, counting from the first failure', () => {
    const { t, made } = target({ delayMs: 500, maxTimeMs: 1200 });
    made[0]!.state = 'failed';
    t.handleTimeout(0);
    t.handleTimeout(500); // reopen 1
    made[1]!.state = 'failed';
    t.handleTimeout(510);
    t.handleTimeout(1010); // reopen 2 (down 1010 ms)
    made[2]!.state = 'failed';
    t.handleTimeout(1020);
    t.handleTimeout(1520); // down 1520 > 1200: give up
    expect(made).toHaveLength(3);
    expect(t.stats()).toMatchObject({ state: 'gave-up', reconnects: 2 });
    expect(t.pollTimeout()).toBeUndefined();
    expect(t.write(unit, 9n, true, 2000)).toBe(false);
  });

  it('a target that opens again resets the down time', () => {
    const { t, made } = target({ delayMs: 100, maxTimeMs: 150 });
    made[0]!.state = 'failed';
    t.handleTimeout(0);
    t.handleTimeout(100);
    made[1]!.state = 'open';
    t.handleTimeout(120);
    made[1]!.state = 'failed';
    t.handleTimeout(5000);
    t.handleTimeout(5100);
    expect(t.stats()).toMatchObject({ state: 'connecting', reconnects: 2 });
  });

  it('bad URLs and policies throw typed errors naming the problem', () => {
    const make = (url: string, reconnect?: { delayMs: number; maxTimeMs: number }) => () => new RelayTarget({ url, width: 320, height: 180, fps: 30, reconnect }, (o) => new FakeMuxer(o));
    expect(make('udp://x:1')).toThrow("relay target: url must be whip://, whips://, rtsp://, srt:// or rtmp:// (got 'udp://x:1')");
    expect(make('whip://x:1/w')).toThrow("relay target: 'whip://x:1/w' is a WHIP target (WhipTarget forwards those)");
    expect(make('srt://x:1', { delayMs: -1, maxTimeMs: 1 })).toThrow('relay target: reconnect.delayMs must be a finite number >= 0 (got -1)');
    expect(make('srt://x:1', { delayMs: 1, maxTimeMs: NaN })).toThrow(expect.objectContaining({ code: 'ERR_RELAY_TARGET_OPTIONS' }));
  });
});
