import { once } from "node:events";
import net from "node:net";

/**
 * What the store looks like through the proxy: `pass` forwards both ways; `delay` forwards requests but each answer's
 * bytes only `delayMs` later (a store that answers, slowly); `freeze` forwards nothing either way and closes nothing
 * (a store that accepted the connection and went silent); `down` resets every connection, old and new.
 */
export type StoreMode = { kind: "pass" } | { kind: "delay"; delayMs: number } | { kind: "freeze" } | { kind: "down" };

export interface StoreProxy {
  url: string;
  set(mode: StoreMode): void;
  /** Answers that reached the client (chunks of upstream bytes delivered). */
  readonly delivered: number;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of a store (dynalite), whose behaviour a test switches at any moment. */
export async function startStoreProxy(targetPort: number): Promise<StoreProxy> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let mode: StoreMode = { kind: "pass" };
  let delivered = 0;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode.kind === "down") return void client.resetAndDestroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    track(upstream);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    client.on("data", (chunk: Buffer) => {
      if (mode.kind !== "freeze") upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      const deliver = () => {
        if (mode.kind === "freeze" || client.destroyed) return;
        delivered += 1;
        client.write(chunk);
      };
      if (mode.kind !== "delay") return deliver();
      const timer = setTimeout(() => {
        timers.delete(timer);
        deliver();
      }, mode.delayMs);
      timers.add(timer);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set(next) {
      mode = next;
      if (next.kind === "down") for (const socket of sockets) socket.resetAndDestroy();
    },
    get delivered() {
      return delivered;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
