import { docker, dockerResult } from "./docker-cli";

/**
 * The network the image test's containers run in: a bridge network of the test's own, so each container has its own
 * network namespace, as an ECS task has with `awsvpc`. Its port 8080 is then its own, whatever holds 8080 on the host
 * (`npm run local`, another checkout's test), and the test reaches it through a free host port Docker maps on
 * 127.0.0.1. The host's side of the bridge (its gateway address) is where the containers find the local
 * Bedrock-compatible server: a local interface of this machine, like 127.0.0.1, so nothing leaves it.
 *
 * Works with the private engine run.sh starts (`--bridge=none --iptables=false`: no default bridge and no NAT, but a
 * user-defined bridge and Docker's userland proxy for the published port need neither) and with a developer's own.
 */

export interface TaskNetwork {
  readonly name: string;
  /** The host's address on the bridge: what a server must listen on for the containers to reach it. */
  readonly hostAddress: string;
}

let created: Promise<TaskNetwork> | undefined;

/** The test's network, created on first use (one per test process, removed by {@link removeTaskNetwork}). */
export function taskNetwork(): Promise<TaskNetwork> {
  created ??= (async () => {
    const name = `bedrock-stream-image-test-${process.pid}`;
    await docker(["network", "create", "--driver", "bridge", name]);
    const gateway = await docker(["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}", name]);
    const hostAddress = gateway.split(/\s+/).find((address) => /^\d+\.\d+\.\d+\.\d+$/.test(address));
    if (!hostAddress) throw new Error(`network ${name} has no IPv4 gateway (${gateway || "none"})`);
    return { name, hostAddress };
  })();
  return created;
}

/** Removes the test's network if it was created (after its containers are gone). */
export async function removeTaskNetwork(): Promise<void> {
  const network = await created?.catch(() => undefined);
  if (network) await dockerResult(["network", "rm", network.name]);
  created = undefined;
}

/** The host port Docker mapped to a container's port, from `docker port` (`127.0.0.1:49153`). */
export async function mappedPort(container: string, port: number): Promise<number> {
  const mapping = await docker(["port", container, `${port}/tcp`]);
  const hostPort = Number(/:(\d+)\s*$/m.exec(mapping)?.[1]);
  if (!Number.isInteger(hostPort) || hostPort <= 0) throw new Error(`no host port mapped to ${container}:${port} (${mapping})`);
  return hostPort;
}
