import { once } from "node:events";
import net from "node:net";

/**
 * A port nobody listens on right now, for a child process that takes its port from the environment and cannot be
 * told 0 (`npm run local` prints URLs with the port it was given).
 */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
