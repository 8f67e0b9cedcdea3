/**
 * Confines an SDP to one address, so a peer never learns (and never checks) an address outside
 * the run: loopback or the run's own namespace address.
 * - `a=candidate` lines whose address or related address (`raddr`) is another address are removed
 *   (a server-reflexive candidate of a socket on another interface carries that interface's
 *   address as raddr even when its mapped address is the lab's);
 * - werift writes the unspecified address 0.0.0.0 into `o=`, `c=` and `a=rtcp` (RFC 8839 §5.1
 *   allows it for "no default candidate yet"); those are set to the lab address, which is the
 *   default candidate's address, so every address in the SDP is one the run owns.
 */

/** `IN IP4 0.0.0.0` ending an o=, c= or a=rtcp line */
const UNSPECIFIED_IPV4 = /^(o=.* |c=|a=rtcp:\d+ )IN IP4 0\.0\.0\.0$/;

function keepsCandidate(line: string, allowedAddresses: readonly string[]): boolean {
  // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> [raddr <a> rport <p>] ...
  const fields = line.slice('a=candidate:'.length).split(' ');
  if (fields.length < 8 || !allowedAddresses.includes(fields[4]!)) return false;
  const raddrAt = fields.indexOf('raddr', 6);
  return raddrAt < 0 || allowedAddresses.includes(fields[raddrAt + 1] ?? '');
}

/** Keeps only the ICE candidates whose address and related address are in `allowedAddresses`. */
export function filterCandidates(sdp: string, allowedAddresses: readonly string[]): string {
  return sdp
    .split(/\r\n/)
    .filter((line) => !line.startsWith('a=candidate:') || keepsCandidate(line, allowedAddresses))
    .join('\r\n');
}

/** `filterCandidates` to `address`, and the unspecified IPv4 address in o=, c=, a=rtcp set to it. */
export function confineSdpToAddress(sdp: string, address: string): string {
  const rewritten = filterCandidates(sdp, [address])
    .split(/\r\n/)
    .map((line) => line.replace(UNSPECIFIED_IPV4, (_whole, head: string) => `${head}IN IP4 ${address}`));
  return rewritten.join('\r\n');
}
