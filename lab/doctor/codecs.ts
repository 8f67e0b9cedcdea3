import type { EncoderCodec, EncoderProbe } from '../../src/native/types.ts';
import { type AddonAccess, addonExport, withTimeout } from './addon.ts';
import { type CheckResult, errorMessage, makeCheck } from './types.ts';

/** Encoders doctor asks the addon about, with whether the lab needs each. */
export const encoderChecks: readonly { codec: EncoderCodec; required: boolean }[] = [
  { codec: 'x264', required: true },
  { codec: 'openh264', required: false },
  { codec: 'h264_nvenc', required: false },
  { codec: 'hevc_nvenc', required: false },
];

/** Time allowed for probeEncoders(), ms (opening NVENC on a real GPU takes a few hundred ms). */
const probeTimeoutMs = 15_000;

function encoderBase(codec: EncoderCodec, required: boolean) {
  return { name: `encoder:${codec}`, area: 'codecs', required } as const;
}

/** Asks the addon which encoders open here; one check per codec in encoderChecks. */
export async function probeEncoderChecks(access: AddonAccess): Promise<CheckResult<EncoderProbe>[]> {
  const probe = addonExport(access, 'probeEncoders');
  if (!probe.ok) {
    const reason = probe.reason;
    return encoderChecks.map(({ codec, required }) => makeCheck(encoderBase(codec, required), 'error', reason));
  }
  let probes: EncoderProbe[];
  try {
    probes = await withTimeout(probe.value(), probeTimeoutMs, 'probeEncoders()');
    if (!Array.isArray(probes)) throw new Error('did not return an array');
  } catch (error) {
    const reason = `probeEncoders() failed: ${errorMessage(error)}`;
    return encoderChecks.map(({ codec, required }) => makeCheck(encoderBase(codec, required), 'error', reason));
  }
  return encoderChecks.map(({ codec, required }) => {
    const base = encoderBase(codec, required);
    const found = probes.find((p) => p.codec === codec);
    if (!found) return makeCheck(base, 'error', `probeEncoders() did not report ${codec}`);
    if (found.available) return makeCheck(base, 'ok', found.implementation ?? 'opens', { data: found });
    return makeCheck(base, 'missing', found.reason ?? 'not available (no reason given)', { data: found });
  });
}

const decoderBase = { name: 'decoder:h264', area: 'codecs', required: true } as const;

/** Opens and closes an H.264 decoder through the addon. */
export function probeDecoderCheck(access: AddonAccess): CheckResult {
  const Decoder = addonExport(access, 'Decoder');
  if (!Decoder.ok) return makeCheck(decoderBase, 'error', Decoder.reason);
  try {
    const decoder = new Decoder.value({ codec: 'h264', readMarker: false });
    decoder.close();
    return makeCheck(decoderBase, 'ok', 'opens and closes');
  } catch (error) {
    return makeCheck(decoderBase, 'missing', `cannot open an H.264 decoder: ${errorMessage(error)}`);
  }
}

/** Facts behind the native addon check. */
export interface AddonCheckData {
  modules: string[];
}

/** Whether the addon loads, and which native modules it was built with. */
export function probeAddonCheck(access: AddonAccess): CheckResult<AddonCheckData> {
  const base = { name: 'addon', area: 'native', required: false } as const;
  if (!access.ok) return makeCheck(base, 'error', access.reason);
  const modules = Array.isArray(access.addon.modules) ? [...access.addon.modules] : [];
  return makeCheck(base, 'ok', `loaded; modules: ${modules.join(', ') || 'none'}`, { data: { modules } });
}
