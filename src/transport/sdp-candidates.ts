/**
 * Keeps only the ICE candidates on the given addresses in an SDP, so a peer never learns (and
 * never checks) an address outside the run: loopback or the run's own namespace addresses.
 */
export function filterCandidates(sdp: string, allowedAddresses: readonly string[]): string {
  const lines = sdp.split(/\r\n/);
  const kept = lines.filter((line) => {
    if (!line.startsWith('a=candidate:')) return true;
    // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
    const fields = line.slice('a=candidate:'.length).split(' ');
    return fields.length >= 8 && allowedAddresses.includes(fields[4]!);
  });
  return kept.join('\r\n');
}
