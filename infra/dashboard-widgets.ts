/**
 * The pieces every dashboard widget is built from (CloudWatch dashboard body structure): one namespace's metrics,
 * search expressions over it, and 8x6 metric widgets in the stack's region. dashboard.ts lays them out.
 */

/** Seconds per datapoint, on the dashboard and in the alarms that watch the same metrics over 5 minutes. */
export const PERIOD = 300;

/** One entry of a widget's `metrics` array: namespace, name, dimension pairs, options; or `[{expression, id}]`. */
export type Metric = Array<string | Record<string, unknown>>;

export interface Widget {
  type: "metric";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

/**
 * `SEARCH('{ns,dims} MetricName="name"', 'stat'[, period])`: every series of the metric with exactly these dimension
 * names. Without a period the widget's applies (needed for `setPeriodToTimeRange`).
 */
export function searchExpression(ns: string, dimensions: readonly string[], metric: string, stat: string, period?: number): string {
  const schema = [ns, ...dimensions].join(",");
  return `SEARCH('{${schema}} MetricName="${metric}"', '${stat}'${period === undefined ? "" : `, ${period}`})`;
}

export function widgetKit(region: string, ns: string) {
  return {
    /** The namespace's metric without dimensions (service-wide). */
    own: (metric: string, stat: string, label = `${metric} ${stat}`): Metric => [ns, metric, { stat, label }],
    /** A search over the namespace, summed per PERIOD unless told otherwise. */
    search: (dimensions: readonly string[], metric: string, id: string, stat = "Sum"): Metric =>
      [{ expression: searchExpression(ns, dimensions, metric, stat, PERIOD), id, period: PERIOD }],
    widget: (title: string, metrics: Metric[], x: number, y: number, extra: Record<string, unknown> = {}): Widget => ({
      type: "metric",
      x, y, width: 8, height: 6,
      properties: { title, region, period: PERIOD, view: "timeSeries", stacked: false, metrics, ...extra },
    }),
  };
}

export type WidgetKit = ReturnType<typeof widgetKit>;
