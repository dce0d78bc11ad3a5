import { once } from "node:events";
import net from "node:net";

export interface GateProxy {
  url: string;
  /** From now on, response bytes wait in the proxy. */
  hold(): void;
  /** Passes every byte held so far in one write per connection, and lets bytes through at once again. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 whose response direction (upstream to client) a test can hold and release, so several
 * upstream frames reach the client in one socket write: the pile-up a busy event loop sees, made deterministic.
 */
export async function startGateProxy(targetPort: number): Promise<GateProxy> {
  const sockets = new Set<net.Socket>();
  const held = new Map<net.Socket, Buffer[]>();
  let holding = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    held.set(client, []);
    client.pipe(upstream);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    upstream.on("data", (chunk: Buffer) => (holding ? held.get(client)!.push(chunk) : client.write(chunk)));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold: () => {
      holding = true;
    },
    release() {
      holding = false;
      for (const [client, chunks] of held) {
        if (chunks.length > 0 && !client.destroyed) client.write(Buffer.concat(chunks));
        held.set(client, []);
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
