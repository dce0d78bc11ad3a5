import type { Harness, LogLine } from "./harness";

/** The service's EMF lines that carry metric `name`, in order. */
export function metricLines(h: Pick<Harness, "metrics">, name: string): LogLine[] {
  return h.metrics.filter((line) => line._aws?.CloudWatchMetrics?.some((d: any) => d.Metrics.some((m: any) => m.Name === name)));
}
