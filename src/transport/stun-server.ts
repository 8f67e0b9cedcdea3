import dgram from 'node:dgram';

/**
 * A minimal STUN server (RFC 5389 Binding only) on a local address. werift falls back to a public
 * STUN server when it is given none (DESIGN §10); the lab gives every peer this one instead, so no
 * packet ever leaves the machine or the run's namespaces.
 */
export interface LocalStunServer {
  /** "stun:host:port", for RTCPeerConnection's iceServers */
  readonly url: string;
  readonly address: string;
  readonly port: number;
  /** binding requests answered so far */
  readonly requestsAnswered: number;
  close(): Promise<void>;
}

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;

/** Builds the Binding success response for a request from `address:port` (IPv4 only). */
export function buildBindingResponse(request: Buffer, address: string, port: number): Buffer | undefined {
  if (request.length < 20 || request.readUInt16BE(0) !== BINDING_REQUEST || request.readUInt32BE(4) !== MAGIC_COOKIE) {
    return undefined;
  }
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
  const response = Buffer.alloc(20 + 12);
  response.writeUInt16BE(BINDING_SUCCESS, 0);
  response.writeUInt16BE(12, 2);
  response.writeUInt32BE(MAGIC_COOKIE, 4);
  request.copy(response, 8, 8, 20); // transaction id
  response.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  response.writeUInt16BE(8, 22);
  response.writeUInt8(0, 24);
  response.writeUInt8(0x01, 25); // IPv4
  response.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 26);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  response.writeUInt32BE((ip ^ MAGIC_COOKIE) >>> 0, 28);
  return response;
}

/** Starts a STUN server on `host` (default 127.0.0.1) and an ephemeral port. */
export async function startLocalStunServer(host = '127.0.0.1'): Promise<LocalStunServer> {
  const socket = dgram.createSocket('udp4');
  let answered = 0;
  socket.on('message', (message, remote) => {
    const response = buildBindingResponse(message, remote.address, remote.port);
    if (!response) return;
    answered++;
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  return {
    url: `stun:${host}:${port}`,
    address: host,
    port,
    get requestsAnswered() {
      return answered;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
