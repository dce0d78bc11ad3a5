import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Closed-loop load: `workers` virtual clients, each sending `perWorker` requests one after another, their first
 * requests spread evenly over `rampMs` (real arrivals are not synchronised to the millisecond, and 1,000 streams
 * started in the same tick would measure the tick, not the server). Results come back in completion order.
 */
export async function closedLoop<T>(
  workers: number,
  perWorker: number,
  rampMs: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      if (rampMs > 0) await sleep((worker * rampMs) / workers);
      for (let k = 0; k < perWorker; k += 1) results.push(await task(worker * perWorker + k));
    }),
  );
  return results;
}

/**
 * The load generator's own event-loop delay while `run` runs, p99 in ms. Reported next to the gap figures: a busy
 * client would show up here, and its lateness would be wrongly charged to the server.
 */
export async function withClientDelay<T>(run: () => Promise<T>): Promise<{ result: T; clientDelayP99Ms: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  try {
    const result = await run();
    return { result, clientDelayP99Ms: histogram.percentile(99) / 1e6 };
  } finally {
    histogram.disable();
  }
}
