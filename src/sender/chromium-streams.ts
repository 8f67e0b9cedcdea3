/**
 * Which recovery streams a Chromium receiver must be told about in the offer, from the sender's
 * own plan: RTX when it answers NACKs, RED + ULPFEC or FlexFEC-03 when it sends FEC, and
 * transport-cc when it runs congestion control on transport-wide feedback.
 */
import type { ChromiumOfferStreams } from '../transport/chromium-offer.ts';
import type { SenderRunOptions } from './run-options.ts';

export function chromiumOfferStreams(run: Pick<SenderRunOptions, 'protection' | 'congestion'>): ChromiumOfferStreams {
  const plan = run.protection;
  const nack = plan?.mode === 'nack' || plan?.mode === 'hybrid';
  const fec = plan?.mode === 'fec' || plan?.mode === 'hybrid';
  return {
    nack,
    transportCc: run.congestion !== undefined,
    ...(nack && plan ? { rtx: { ssrc: plan.rtx.ssrc, payloadType: plan.rtx.payloadType } } : {}),
    ...(fec && plan?.fecScheme === 'ulpfec' ? { red: { ...plan.red } } : {}),
    ...(fec && plan?.fecScheme === 'flexfec' ? { flexfec: { ssrc: plan.flexfec.ssrc, payloadType: plan.flexfec.payloadType } } : {}),
  };
}
