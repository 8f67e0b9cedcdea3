/**
 * Write errors of the userspace link (fate "write-error": released, but the write to the far TUN
 * device failed): read from the fate log, counted per direction in results.json's link section
 * (`writeErrors`, also in `dropped`), and shown by the report only when there were any.
 * (test/link/dataplane-faults.test.ts makes real ones with a device that is down.)
 */
import { describe, expect, it } from 'vitest';
import { computeLinkMetrics } from '../../lab/metrics/link.ts';
import { linkSection } from '../../lab/report/link-section.ts';
import { linkSummarySchema, type Results } from '../../lab/results/schema.ts';
import { parseFateLog, type LinkFateRecord } from '../../src/link/fate.ts';

const line = (id: number, dir: 'up' | 'down', end: string): string =>
  `{"type":"fate","side":"link","dir":"${dir}","id":${id},"size":228,"proto":"udp","src":"10.250.0.1","dst":"10.250.0.2","sport":5000,"dport":5002,"enqueueMs":${1000 + id}.000000,${end}}`;

function parse(text: string): LinkFateRecord[] {
  const parsed = parseFateLog(text);
  if ('error' in parsed) throw parsed.error;
  return parsed.records;
}

const metrics = (fates: LinkFateRecord[]) =>
  computeLinkMetrics({ link: { params: { up: {}, down: {} }, timeline: [] }, backend: 'userspace', fates, events: [], packets: [], originMs: 1000 }).summary;

/** The report's link section for a run whose results hold only this link summary. */
const section = (link: ReturnType<typeof metrics>): string => linkSection({ link } as Pick<Results, 'link'> as Results);

describe('link write errors', () => {
  const log = [
    line(0, 'up', '"releaseMs":1010.000000,"wireMs":1010.001000'),
    line(1, 'up', '"drop":"write-error"'),
    line(2, 'up', '"drop":"write-error"'),
    line(3, 'up', '"drop":"loss"'),
    line(0, 'down', '"drop":"write-error"'),
  ].join('\n');

  it('the fate log accepts drop "write-error" and results count it per direction, inside dropped', () => {
    const summary = metrics(parse(log));
    expect(linkSummarySchema.safeParse(summary).success).toBe(true);
    expect(summary.directions.up).toMatchObject({ packets: 4, delivered: 1, dropped: 3, writeErrors: 2, droppedByReason: { 'write-error': 2, loss: 1 } });
    expect(summary.directions.down).toMatchObject({ packets: 1, delivered: 0, dropped: 1, writeErrors: 1 });
  });

  it('the report names write errors per direction when there are any, and says nothing of them otherwise', () => {
    const html = section(metrics(parse(log)));
    expect(html).toContain('<tr><th>up: write errors</th><td>2 packets released by the link could not be written to the far device (counted as dropped)</td></tr>');
    expect(html).toContain('<th>down: write errors</th><td>1 packet released');
    const clean = section(metrics(parse(line(0, 'up', '"releaseMs":1010.000000'))));
    expect(clean).not.toContain('write errors');
  });
});
