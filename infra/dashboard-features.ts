import { DIMENSION, METRIC, MICRO_PER_USD } from "../app/src/metrics/service-metrics";
import { RESILIENCE_DIMENSION, RESILIENCE_METRIC } from "../app/src/metrics/resilience-metrics";
import { type Metric, searchExpression, type Widget, type WidgetKit } from "./dashboard-widgets";

/**
 * The dashboard's rows for spend (CostMicroUsd, issue 25) and the resilience features (issue 24), below the
 * service's own metrics (dashboard.ts).
 *
 * Spend is shown in dollars: the metric is integer micro-dollars, so each search is hidden and divided by a million
 * in metric math. CloudWatch dashboards have no calendar-aligned relative time range, so "today" and "this month"
 * are the trailing 24 hours and 30 days, each summed over the whole range (`setPeriodToTimeRange`, bar view), and a
 * per-day series; the usage table's calendar windows are in `GET /usage` and `npm run usage` (docs/operations.md).
 */

const DAY = 86_400;
const HOUR = 3_600;
/** The rows below the service's own metrics (dashboard.ts ends at y = 18 + 6, with its right-hand cell free). */
const SPEND_ROW = 24;
const RESILIENCE_ROW = SPEND_ROW + 12;

/** A hidden search over spend and its dollar figure: one bar or line per key (or model). */
function usd(ns: string, dimension: string, id: string, period?: number): Metric[] {
  return [
    [{ expression: searchExpression(ns, [dimension], METRIC.costMicroUsd, "Sum", period), id: `${id}Micro`, visible: false }],
    [{ expression: `${id}Micro / ${MICRO_PER_USD}`, id }],
  ];
}

export function featureWidgets(kit: WidgetKit, ns: string): Widget[] {
  const { search, widget } = kit;
  const dollars = { yAxis: { left: { label: "USD", showUnits: false } } };
  /** The whole range as one figure per series, over the trailing `start` (an ISO 8601 duration before now). */
  const total = (title: string, dimension: string, id: string, start: string, x: number, y: number) =>
    widget(title, usd(ns, dimension, id), x, y, { view: "bar", setPeriodToTimeRange: true, start, ...dollars });
  return [
    widget("Upstream retries (by model) and fallbacks (by pair)", [
      search([DIMENSION.model], RESILIENCE_METRIC.retries, "retries"),
      search([RESILIENCE_DIMENSION.fromModel, RESILIENCE_DIMENSION.toModel], RESILIENCE_METRIC.fallbacks, "fallbacks"),
    ], 16, SPEND_ROW - 6),

    total("Spend by API key, last 24 hours (USD)", DIMENSION.key, "keyDay", "-PT24H", 0, SPEND_ROW),
    total("Spend by model, last 24 hours (USD)", DIMENSION.model, "modelDay", "-PT24H", 8, SPEND_ROW),
    widget("Spend per day by API key (USD)", usd(ns, DIMENSION.key, "keyDaily", DAY), 16, SPEND_ROW,
      { period: DAY, start: "-P30D", stacked: true, ...dollars }),
    total("Spend by API key, last 30 days (USD)", DIMENSION.key, "keyMonth", "-P30D", 0, SPEND_ROW + 6),
    total("Spend by model, last 30 days (USD)", DIMENSION.model, "modelMonth", "-P30D", 8, SPEND_ROW + 6),
    // What the runaway-spend alarms watch (runaway-spend.ts): each key's spend per hour.
    widget("Spend per hour by API key (USD): the runaway alarms' view", usd(ns, DIMENSION.key, "keyHourly", HOUR), 16,
      SPEND_ROW + 6, { period: HOUR, start: "-P2D", ...dollars }),

    widget("Circuits opened and closed, by model", [
      search([DIMENSION.model], RESILIENCE_METRIC.circuitOpened, "opened"),
      search([DIMENSION.model], RESILIENCE_METRIC.circuitClosed, "closed"),
    ], 0, RESILIENCE_ROW),
    widget("Guardrail interventions and concurrency refusals, by API key", [
      search([DIMENSION.key], RESILIENCE_METRIC.guardrailInterventions, "interventions"),
      search([DIMENSION.key], RESILIENCE_METRIC.concurrencyRefusals, "concurrency"),
    ], 8, RESILIENCE_ROW),
  ];
}
