/**
 * Runs the lab's STUN server as a process of its own, so that it can live inside a run's network
 * namespace (`ip netns exec <ns> node --import tsx stun-main.ts <address> [--run <id>]`; the run id
 * only labels the process). Prints its URL
 * ("stun:host:port") as one line on stdout once it listens; exits on SIGTERM/SIGINT.
 */
import { startLocalStunServer } from './stun-server.ts';

const address = process.argv[2] ?? '127.0.0.1';
const server = await startLocalStunServer(address);
process.stdout.write(`${server.url}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
