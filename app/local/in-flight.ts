import type { RecordedRequest } from "./scenario";

/**
 * The most requests the stand-in had open at once: from each request's arrival to its stream's close. A stream the
 * gateway leases (usage/stream-leases.ts) holds its lease from before this arrival until after this close, so this
 * can only under-count the leases, never over-count them. Requests still open count as open at the end.
 */
export function maxInFlight(requests: readonly RecordedRequest[]): number {
  const edges = requests.flatMap((r) => [
    { at: r.receivedAt, delta: 1 },
    { at: r.closedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  // At a tie a close comes first: a stream that ended as another arrived was not in flight with it.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (open += edge.delta));
  return most;
}
