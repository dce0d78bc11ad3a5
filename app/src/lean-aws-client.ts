/**
 * SDK client middleware the service's calls do without. Every chat request makes one Bedrock call, and a key with
 * token limits two usage-store calls, so per-call CPU is per-request CPU: these three cost about a quarter of a
 * DynamoDB call's client CPU (measured against dynalite: ~350 -> ~255 µs) and add nothing here. The user-agent
 * headers only tell AWS which SDK version called; trace-id recursion detection acts only inside Lambda; the clients
 * have no logger to feed.
 */
export const SKIPPED_MIDDLEWARE = ["getUserAgentMiddleware", "recursionDetectionMiddleware", "loggerMiddleware"] as const;

interface RemovableStack {
  middlewareStack: { remove(name: string): boolean };
}

/** Removes {@link SKIPPED_MIDDLEWARE} from a client's stack; signing, retries, endpoints and serde stay. */
export function leanClient<Client extends RemovableStack>(client: Client): Client {
  for (const name of SKIPPED_MIDDLEWARE) client.middlewareStack.remove(name);
  return client;
}
