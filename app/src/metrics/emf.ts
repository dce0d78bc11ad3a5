/**
 * Metrics as CloudWatch embedded metric format (EMF): each is one JSON line on stdout, which the awslogs driver
 * ships with the logs and CloudWatch turns into metrics, so no agent, no SDK call and no extra endpoint is needed.
 * These lines carry key names, model ids, error codes and numbers only: never prompt text, replies or key values.
 */

/** Where EMF lines go: stdout in the service, a buffer in tests. */
export interface MetricsSink {
  write(line: string): void;
}

export type Unit = "Count" | "Milliseconds" | "Count/Second" | "None";

export interface MetricDirective {
  /** Sets of dimension names; `[]` publishes the metric without dimensions as well (service-wide alarms). */
  dimensions: string[][];
  metrics: Array<{ name: string; unit: Unit }>;
}

/** Writes EMF documents under one namespace. */
export class EmfWriter {
  constructor(
    private readonly sink: MetricsSink,
    readonly namespace: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One EMF line: `fields` hold the dimension values and the metric values, `directives` say which fields are
   * metrics and by which dimensions CloudWatch aggregates them. Metrics whose value is undefined are left out.
   */
  write(directives: MetricDirective[], fields: Record<string, string | number | undefined>): void {
    const present = directives
      .map((d) => ({ ...d, metrics: d.metrics.filter((m) => typeof fields[m.name] === "number") }))
      .filter((d) => d.metrics.length > 0);
    if (present.length === 0) return;
    const document = {
      _aws: {
        Timestamp: this.now(),
        CloudWatchMetrics: present.map((d) => ({
          Namespace: this.namespace,
          Dimensions: d.dimensions,
          Metrics: d.metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        })),
      },
      ...fields,
    };
    this.sink.write(`${JSON.stringify(document)}\n`);
  }
}
