import { once } from "node:events";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface DribbleProxy {
  url: string;
  /** Separate writes made towards the client so far (each at most `pieceBytes`). */
  writes: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that passes requests through untouched but hands every response byte stream to the
 * client in tiny pieces with a pause between them, so the client's socket reads end in the middle of frames and
 * of multi-byte UTF-8 characters: the transport-level split that a real network can produce at any byte.
 */
export async function startDribbleProxy(targetPort: number, pieceBytes = 1, pauseMs = 1): Promise<DribbleProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: DribbleProxy = { url: "", writes: 0, close: async () => undefined };
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    void (async () => {
      for await (const chunk of upstream) {
        for (let offset = 0; offset < (chunk as Buffer).length; offset += pieceBytes) {
          if (client.destroyed) return;
          client.write((chunk as Buffer).subarray(offset, offset + pieceBytes));
          proxy.writes += 1;
          await sleep(pauseMs);
        }
      }
      client.end();
    })().catch(() => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  proxy.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}
