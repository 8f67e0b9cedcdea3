/**
 * Every network address an SDP carries, by where it appears: the origin (`o=`), connection data
 * (`c=`), each ICE candidate's address and its related address (`raddr`), and `a=rtcp`. Used to
 * check that an SDP the lab hands on names no address outside the run (loopback, or the run's own
 * namespace addresses) — not a full SDP parser.
 */

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
