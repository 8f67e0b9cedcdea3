/**
 * Keeps a werift peer on the lab address: 127.0.0.1 on a loopback run, the namespace's own
 * address in a run with a link (docs/werift.md).
 * - `labIceOptions`: the ICE options under which werift gathers and binds on that address only;
 * - `sdpAddresses` / `foreignSdpAddresses`: every network address an SDP carries, by where it
 *   appears (origin `o=`, connection `c=`, each candidate's address and `raddr`, `a=rtcp`), to
 *   check that an SDP names no address outside the run — not a full SDP parser;
 * - `confineSdpToAddress`: candidates on or related to another address removed, and the
 *   unspecified address werift writes into o=, c=, a=rtcp (RFC 8839 §5.1 allows it for "no
 *   default candidate yet") set to the lab address, the default candidate's address.
 */
import type { RTCPeerConnectionConfig } from 'werift';

/**
 * werift 0.25.2 by itself gathers a host candidate per address of os.networkInterfaces() and
 * binds each one's UDP socket to 0.0.0.0 (ice/src/ice.js gatherCandidates, common/src/transport.js
 * UdpTransport.init); the server-reflexive candidate of a socket gathered for the machine's real
 * interface then carries that interface's address as raddr. With iceUseIpv4/iceUseIpv6 false it
 * gathers no interface address, so the additional host address is the only host candidate;
 * iceInterfaceAddresses.udp4 is the address its socket binds; and only pairs whose local
 * candidate is the lab address are checked, so no connectivity check leaves the run's addresses.
 */
export function labIceOptions(hostAddress: string): Partial<RTCPeerConnectionConfig> {
  return {
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [hostAddress],
    iceInterfaceAddresses: { udp4: hostAddress },
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === hostAddress,
  };
}

/** Where in the SDP an address was found. */
export type SdpAddressField = 'origin' | 'connection' | 'candidate' | 'raddr' | 'rtcp';

export interface SdpAddress {
  /** 1-based line number in the SDP */
  line: number;
  field: SdpAddressField;
  /** the address as written (IPv4, IPv6 or an FQDN such as an mDNS name) */
  address: string;
}

/** `<nettype> <addrtype> <address>` as in o=, c= and a=rtcp; the address may carry `/ttl`. */
function addressOfTriple(fields: readonly string[]): string | undefined {
  if (fields.length < 3 || fields[0] !== 'IN') return undefined;
  return fields[2]!.split('/')[0];
}

function addressesOfLine(text: string): { field: SdpAddressField; address: string }[] {
  if (text.startsWith('o=')) {
    // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
    const address = addressOfTriple(text.slice(2).split(' ').slice(3));
    return address === undefined ? [] : [{ field: 'origin', address }];
  }
  if (text.startsWith('c=')) {
    const address = addressOfTriple(text.slice(2).split(' '));
    return address === undefined ? [] : [{ field: 'connection', address }];
  }
  if (text.startsWith('a=rtcp:')) {
    // a=rtcp:<port> [<nettype> <addrtype> <address>]
    const address = addressOfTriple(text.slice('a=rtcp:'.length).split(' ').slice(1));
    return address === undefined ? [] : [{ field: 'rtcp', address }];
  }
  if (text.startsWith('a=candidate:')) {
    // <foundation> <component> <transport> <priority> <address> <port> typ <type> [raddr <a> rport <p>] ...
    const fields = text.slice('a=candidate:'.length).split(' ');
    const found: { field: SdpAddressField; address: string }[] = [];
    if (fields[4] !== undefined) found.push({ field: 'candidate', address: fields[4] });
    const raddrAt = fields.indexOf('raddr', 6);
    if (raddrAt >= 0 && fields[raddrAt + 1] !== undefined) found.push({ field: 'raddr', address: fields[raddrAt + 1]! });
    return found;
  }
  return [];
}

/** Lists every address in `sdp` (lines split on CRLF or LF), in line order. */
export function sdpAddresses(sdp: string): SdpAddress[] {
  return sdp.split(/\r?\n/).flatMap((text, index) => addressesOfLine(text).map((found) => ({ line: index + 1, ...found })));
}

/** The addresses in `sdp` that are not in `allowed`, for an error message or a test. */
export function foreignSdpAddresses(sdp: string, allowed: readonly string[]): SdpAddress[] {
  return sdpAddresses(sdp).filter((found) => !allowed.includes(found.address));
}

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
