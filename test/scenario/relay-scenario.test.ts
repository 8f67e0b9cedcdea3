// The scenario's relay section as the run gets it: disabled targets left out, reconnect policies
// in ms, the target hop's link resolved, hopLoss and endpoints carried; bad fields named.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { MAX_RUN_DURATION_MS } from '../../lab/scenario/schema.ts';
import { receiverRunOptions } from '../../lab/run/child-options.ts';

const base = 'name: r\nlink: { backend: userspace, delay: 5ms }\nrelay:\n';

describe('relay scenario', () => {
  it('resolves targets, reconnect, hopLoss, endpoint and relay.link; leaves disabled targets out', () => {
    const scenario = parseScenarioText(
      `${base}  link: { delay: 15ms, up: { loss: { model: random, p: 2% } } }\n  targets:\n` +
        `    - { url: 'whip://127.0.0.1:9000/w', hopLoss: 3%, endpoint: chromium, reconnect: { delay: 250ms, maxTime: never } }\n` +
        `    - { url: 'rtmp://127.0.0.1:1935/live/x', enabled: false }\n` +
        `    - { url: 'srt://127.0.0.1:9001?latency=40', reconnect: { maxTime: 5s } }\n`,
      'r.yaml', 3,
    );
    expect(scenario.relay?.targets).toEqual([
      { url: 'whip://127.0.0.1:9000/w', hopLoss: 0.03, endpoint: 'chromium', reconnect: { delayMs: 250, maxTimeMs: MAX_RUN_DURATION_MS } },
      { url: 'srt://127.0.0.1:9001?latency=40', reconnect: { delayMs: 1000, maxTimeMs: 5000 } },
    ]);
    expect(scenario.relay?.link?.up.delayUs).toBe(15_000);
    expect(scenario.relay?.link?.up.loss).toEqual({ model: 'random', p: 0.02 });
    expect(scenario.relay?.link?.down.loss).toBeUndefined();
    expect(receiverRunOptions(scenario).relay?.targets).toEqual([
      { url: 'whip://127.0.0.1:9000/w', reconnect: { delayMs: 250, maxTimeMs: MAX_RUN_DURATION_MS }, hopLoss: { rate: 0.03, seed: 3 } },
      { url: 'srt://127.0.0.1:9001?latency=40', reconnect: { delayMs: 1000, maxTimeMs: 5000 } },
    ]);
  });

  it('a relay whose targets are all disabled is no relay', () => {
    const scenario = parseScenarioText(`${base}  targets:\n    - { url: 'rtmp://127.0.0.1:1935/live/x', enabled: false }\n`, 'r.yaml', 1);
    expect(scenario.relay).toBeUndefined();
  });

  it('names the bad field', () => {
    const bad = (target: string) => () => parseScenarioText(`${base}  targets:\n    - ${target}\n`, 'r.yaml', 1);
    expect(bad(`{ url: 'rtmp://127.0.0.1:1935/live/x', reconnect: { delay: 5 } }`)).toThrow(/relay\.targets\.0\.reconnect\.delay/);
    expect(bad(`{ url: 'rtmp://127.0.0.1:1935/live/x', reconnect: { every: 1s } }`)).toThrow(/relay\.targets\.0\.reconnect\.every: unknown field "every"/);
    expect(bad(`{ url: 'rtmp://127.0.0.1:1935/live/x', enabled: 'yes' }`)).toThrow(/relay\.targets\.0\.enabled/);
    expect(bad(`{ url: 'rtmp://127.0.0.1:1935/live/x', endpoint: chromium }`)).toThrow(/a rtmp target's endpoint is ffmpeg or node-media-server \(got chromium\)/);
  });
});
