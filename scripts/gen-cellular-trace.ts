/**
 * Writes scenarios/links/traces/cellular-synthetic.trace: a 30 s Mahimahi trace (one 1500-byte
 * delivery opportunity per line, ms) whose capacity wanders like a cellular link's: every 500 ms
 * the rate takes a seeded random step (×0.6 .. ×1.6) inside 0.4–4 Mbit/s, with 10 ms scheduler
 * slots. Synthetic (no recorded cellular trace can be fetched here); the seed makes it the same
 * every time. Run: npx tsx scripts/gen-cellular-trace.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SEED = 20261204;
const PERIOD_MS = 30_000;
const STEP_MS = 500;
const SLOT_MS = 10;
const PACKET_BITS = 1500 * 8;

let state = SEED >>> 0;
/** xorshift32 in [0, 1) */
function random(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 2 ** 32;
}

const lines: number[] = [];
let rateBps = 2_000_000;
let credit = 0;
for (let stepStart = 0; stepStart < PERIOD_MS; stepStart += STEP_MS) {
  rateBps = Math.min(4_000_000, Math.max(400_000, rateBps * (0.6 + random())));
  for (let slot = stepStart; slot < stepStart + STEP_MS; slot += SLOT_MS) {
    credit += (rateBps * SLOT_MS) / 1000 / PACKET_BITS;
    // the opportunities of a slot come together, as a scheduler grants them
    while (credit >= 1) {
      lines.push(Math.max(1, slot + SLOT_MS));
      credit -= 1;
    }
  }
}
const out = fileURLToPath(new URL('../scenarios/links/traces/cellular-synthetic.trace', import.meta.url));
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`wrote ${out}: ${lines.length} opportunities over ${PERIOD_MS / 1000} s (mean ${((lines.length * PACKET_BITS) / (PERIOD_MS / 1000) / 1e6).toFixed(2)} Mbit/s)`);
