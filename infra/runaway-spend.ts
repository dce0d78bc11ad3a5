import type * as aws from "@pulumi/aws";
import { z } from "zod";
import { DIMENSION, METRIC, MICRO_PER_USD } from "../app/src/metrics/service-metrics";

/**
 * The runaway-spend alarm (a runaway agent): one per API key, on the key's CostMicroUsd (service-metrics.ts).
 *
 * Shaped by what CloudWatch alarms accept (Amazon CloudWatch API Reference and User Guide):
 * - an alarm's expression must return a single time series, from at most 10 metrics (API_MetricDataQuery.html), and
 *   cannot use SEARCH (using-search-expressions.html): a per-key alarm names its key, one alarm per configured key;
 * - an alarm retrieves its evaluation window, Period x EvaluationPeriods (alarm-evaluation-window.html), and the
 *   metric-math AVG of a single time series is one scalar over the data retrieved (using-metric-math.html, "Metric
 *   math syntax and functions"; FILL and IF are functions of the same table). Every query keeps the alarm's one
 *   period: the trailing average comes from the window, not from a second query of a longer period.
 * So: 24 hourly periods, FILL(spend, 0) so a quiet hour counts as $0, and an hour breaches when it spent more than the
 * floor and more than `factor` times the window's mean hour (itself included). One breaching hour (DatapointsToAlarm
 * 1) puts the alarm in ALARM, which notifies once; it returns to OK when no hour in the trailing day breaches.
 */

export const RUNAWAY_WINDOW_HOURS = 24;
const HOUR = 3600;

export interface RunawayRule {
  /** Times the window's mean hourly spend an hour must exceed; 0: no runaway alarms. */
  readonly factor: number;
  /** Dollars an hour must exceed as well, so a key idle until now does not alarm on its first requests. */
  readonly floorUsd: number;
}

/** The config rule for the factor: at N (the window's hours) or above an hour could never exceed it (see below). */
export const runawayFactorSchema = z.coerce.number().int()
  .refine((f) => f === 0 || (f >= 2 && f < RUNAWAY_WINDOW_HOURS),
    `must be 0 (no runaway-spend alarms) or 2-${RUNAWAY_WINDOW_HOURS - 1}: an hour is part of the ${RUNAWAY_WINDOW_HOURS}-hour mean it is compared with`);

/** Whether one hour's spend breaches, given the window's hours (micro-dollars), as the alarm's expression decides. */
export function hourBreaches(hourMicroUsd: number, windowMicroUsd: readonly number[], rule: RunawayRule): boolean {
  const filled = [...windowMicroUsd, ...Array(RUNAWAY_WINDOW_HOURS - windowMicroUsd.length).fill(0)];
  const mean = filled.reduce((sum, hour) => sum + hour, 0) / RUNAWAY_WINDOW_HOURS;
  return hourMicroUsd > rule.floorUsd * MICRO_PER_USD && hourMicroUsd > rule.factor * mean;
}

/**
 * The least spend in one hour that alarms, in dollars, given what the window's other hours spent: h > F(S + h)/N
 * is h > F·S/(N − F) (the hour is part of the mean), and never at or below the floor.
 */
export function runawayThresholdUsd(otherHoursUsd: number, rule: RunawayRule): number {
  return Math.max(rule.floorUsd, (rule.factor * otherHoursUsd) / (RUNAWAY_WINDOW_HOURS - rule.factor));
}

/** The alarm's queries for one key: its hourly spend, filled, and the 0/1 breach series the alarm watches. */
export function runawayQueries(namespace: string, keyName: string, rule: RunawayRule): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  const floorMicroUsd = rule.floorUsd * MICRO_PER_USD;
  return [
    {
      id: "spend",
      metric: {
        namespace, metricName: METRIC.costMicroUsd, dimensions: { [DIMENSION.key]: keyName }, period: HOUR, stat: "Sum",
      },
      returnData: false,
    },
    { id: "hourly", expression: "FILL(spend, 0)", label: `${keyName}: micro-dollars per hour`, returnData: false },
    {
      id: "runaway",
      expression: `IF(hourly > ${floorMicroUsd} AND hourly > ${rule.factor} * AVG(hourly), 1, 0)`,
      label: `${keyName}: an hour above $${rule.floorUsd} and ${rule.factor}x the trailing ${RUNAWAY_WINDOW_HOURS} hours' mean`,
      returnData: true,
    },
  ];
}

/** The rest of the alarm: the window, and a breach on any one hour of it. */
export function runawayAlarmSpec(namespace: string, keyName: string, rule: RunawayRule) {
  return {
    metricQueries: runawayQueries(namespace, keyName, rule),
    evaluationPeriods: RUNAWAY_WINDOW_HOURS,
    datapointsToAlarm: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
  };
}
