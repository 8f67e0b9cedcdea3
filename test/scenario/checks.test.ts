// Scenario checks: durations need their unit (a bare `duration: 30` once ran for 30 ms, one
// frame, and exited 0), times have upper limits named in the message, a timeline change after the
// run's end is refused, and the messages say what is wrong: "expected X, got Y" for a present
// field of the wrong type, "must be finite" for .inf. Each names the file, line and field.
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';

function issues(text: string): string {
  try {
    parseScenarioText(text, 's.yaml', 1);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  return 'valid';
}

describe('durations', () => {
  it('a bare number is refused with the units to write', () => {
    expect(issues('name: a\nduration: 30\n')).toBe('s.yaml:2: duration: a bare number is not a duration: write the unit, e.g. "30s" or "30ms"');
    expect(issues('name: a\nlink: { delay: 40 }\n')).toBe('s.yaml:2: link.delay: a bare number is not a duration: write the unit, e.g. "40s" or "40ms"');
    expect(issues('name: a\nlink: { delay: 1ms }\ntimeline:\n  - at: 3\n    set: { delay: 2ms }\n')).toBe(
      's.yaml:4: timeline.0.at: a bare number is not a duration: write the unit, e.g. "3s" or "3ms"',
    );
    expect(parseScenarioText('name: a\nduration: 30s\n', 's.yaml', 1).durationMs).toBe(30_000);
  });

  it('.inf is not finite (it used to get the link section\'s message)', () => {
    expect(issues('name: a\nduration: .inf\n')).toBe('s.yaml:2: duration: must be finite (.inf and .nan are not values here)');
    expect(issues('name: a\nlink: { jitter: .inf }\n')).toBe('s.yaml:2: link.jitter: must be finite (.inf and .nan are not values here)');
    expect(issues('name: a\nduration: inf\n')).toBe('s.yaml:2: duration: must be finite: write a duration such as "10s"');
  });

  it('upper limits, named in the message', () => {
    expect(issues('name: a\nduration: 25h\n')).toBe('s.yaml:2: duration: must be at most 24h (got 25h)');
    expect(parseScenarioText('name: a\nduration: 24h\n', 's.yaml', 1).durationMs).toBe(86_400_000);
    expect(issues('name: a\nlink: { delay: 10.5s }\n')).toBe('s.yaml:2: link.delay: must be at most 10s (got 10.5s)');
    expect(issues('name: a\nlink: { jitter: 11s }\n')).toBe('s.yaml:2: link.jitter: must be at most 10s (got 11s)');
    expect(issues('name: a\nlink:\n  queue: { delay: 20s }\n')).toBe('s.yaml:3: link.queue.delay: must be at most 10s (got 20s)');
    expect(issues('name: a\nlink: { slot: { min: 11s } }\n')).toBe('s.yaml:2: link.slot.min: must be at most 10s (got 11s)');
    expect(issues('name: a\nlink: { queue_delay_ms: 20000 }\n')).toBe('s.yaml:2: link.queue_delay_ms: must be at most 10000 (ms, 10 s)');
    expect(issues('name: a\nlink: { delay_standard_deviation_ms: 10001 }\n')).toBe('s.yaml:2: link.delay_standard_deviation_ms: must be at most 10000 (ms, 10 s)');
  });
});

describe('sizes and rates', () => {
  it('queues, mtu, overhead and rates have limits', () => {
    expect(issues('name: a\nlink:\n  queue: { packets: 2000000 }\n')).toBe('s.yaml:3: link.queue.packets: must be at most 1000000 packets');
    expect(issues('name: a\nlink: { queue_length_packets: 1e9 }\n')).toBe('s.yaml:2: link.queue_length_packets: must be at most 1000000 packets');
    expect(issues('name: a\nlink:\n  queue: { bytes: 4294967296 }\n')).toBe('s.yaml:3: link.queue.bytes: must be at most 1 GiB (1073741824 bytes)');
    expect(issues('name: a\nlink: { mtu: 70000 }\n')).toBe('s.yaml:2: link.mtu: must be at most 65535 bytes');
    expect(issues('name: a\nlink: { overhead: 5000 }\n')).toBe('s.yaml:2: link.overhead: must be at most 1000 bytes');
    expect(issues('name: a\nlink: { rate: 200gbit }\n')).toBe('s.yaml:2: link.rate: must be at most 100gbit');
  });
});

describe('the timeline', () => {
  it('a change after the run\'s end is refused at its line (it used to be dropped without a word)', () => {
    const text = 'name: a\nduration: 5s\nlink: { delay: 1ms }\ntimeline:\n  - at: 2s\n    set: { delay: 2ms }\n  - at: 6s\n    set: { delay: 3ms }\n';
    expect(issues(text)).toBe('s.yaml:7: timeline.1.at: 6s is after the run\'s end (duration 5s): the change would never apply');
    expect(issues(text.replace('at: 6s', 'at: 5s'))).toBe('valid');
  });

  it("a profile's change after the run's end is refused at link.profile", () => {
    expect(issues('name: a\nduration: 4s\nlink: { profile: webrtc-bursty-loss }\n')).toBe(
      "s.yaml:3: link.profile: the profile's timeline changes the link at 10s, after the run's end (duration 4s); give a longer duration or a timeline of the scenario's own",
    );
  });
});

describe('messages', () => {
  it('a present field of the wrong type says expected and got, not "required:"', () => {
    expect(issues('name: a\nfps: fast\n')).toBe('s.yaml:2: fps: expected number, got text');
    expect(issues('name: a\nencoder: { gop: [1] }\n')).toBe('s.yaml:2: encoder.gop: expected number, got a list');
    expect(issues('name: 12\n')).toBe('s.yaml:1: name: expected string, got number');
    expect(issues('fps: 30\n')).toBe('s.yaml:1: name: required: expected string');
  });
});
