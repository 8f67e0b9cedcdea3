/**
 * The rule for privileged test suites (test/helpers/privileges.ts): a suite that could have run
 * here never passes as a skip.
 */
import { describe, expect, it } from 'vitest';
import { privilegedPlan, rootLink, rootNamespaces } from '../helpers/privileges.ts';

describe('privileged test suites', () => {
  it('run where usable, skip where the machine cannot, fail where it could but cannot', () => {
    expect(privilegedPlan({ usable: true, expected: true }, {})).toBe('run');
    expect(privilegedPlan({ usable: false, expected: false, reason: 'not root' }, {})).toBe('skip');
    expect(privilegedPlan({ usable: false, expected: true, reason: '/dev/net/tun cannot be opened' }, {})).toBe('fail');
    expect(privilegedPlan({ usable: false, expected: true, reason: 'x' }, { GLASSLAB_ALLOW_PRIVILEGED_SKIP: '1' })).toBe('skip');
  });

  it('probe this machine consistently: usable implies expected, and a refusal names its reason', () => {
    for (const probe of [rootNamespaces(), rootLink()]) {
      if (probe.usable) expect(probe.expected).toBe(true);
      else expect(probe.reason).toMatch(/\S/);
    }
    const root = process.getuid?.() === 0;
    expect(rootNamespaces().expected).toBe(root);
  });
});
