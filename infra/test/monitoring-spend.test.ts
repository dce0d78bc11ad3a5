import * as assert from "node:assert/strict";
import { MICRO_PER_USD } from "../../app/src/metrics/service-metrics";
import { ALARMS } from "../monitoring";
import { RUNAWAY_WINDOW_HOURS } from "../runaway-spend";
import { programError, type ProgramRun, runProgram } from "./program-under-mocks";
import { ALARM } from "./resource-types";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:chat-monitoring-alarms";
const NAMESPACE = "BedrockStreamApi/bedrock-stream-api-dev";
const KEYS = JSON.stringify([{ name: "team-a" }, { name: "intern", usdPerDay: 5 }]);
const runaway = (run: ProgramRun) => run.ofType(ALARM).filter((a) => a.name.includes(`-${ALARMS.runawaySpend}-`));

describe("runaway-spend alarms (under mocks)", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram({ keys: KEYS, alarmRunawaySpendFactor: "4", alarmRunawaySpendFloorUsd: "20" });
  });

  it("creates one alarm per configured key, publishing to the alarm topic", () => {
    assert.deepEqual(runaway(run).map((a) => a.name).sort(), [
      "chat-monitoring-runaway-spend-intern", "chat-monitoring-runaway-spend-team-a",
    ]);
    for (const a of runaway(run)) {
      assert.deepEqual([a.inputs.alarmActions, a.inputs.okActions], [[TOPIC], [TOPIC]], a.name);
    }
  });

  it("watches the key's hourly spend over the trailing day against the factor and the floor", () => {
    const a = run.one(ALARM, "runaway-spend-intern").inputs;
    assert.deepEqual(
      [a.evaluationPeriods, a.datapointsToAlarm, a.threshold, a.comparisonOperator, a.treatMissingData],
      [RUNAWAY_WINDOW_HOURS, 1, 0, "GreaterThanThreshold", "notBreaching"],
    );
    // A metric-math alarm carries its metric in its queries only (PutMetricAlarm refuses both).
    assert.deepEqual([a.metricName, a.namespace, a.period, a.statistic], [undefined, undefined, undefined, undefined]);
    const [spend, hourly, breach] = a.metricQueries;
    assert.deepEqual(spend, {
      id: "spend",
      metric: { namespace: NAMESPACE, metricName: "CostMicroUsd", dimensions: { ApiKey: "intern" }, period: 3600, stat: "Sum" },
      returnData: false,
    });
    assert.deepEqual([hourly.id, hourly.expression, hourly.returnData], ["hourly", "FILL(spend, 0)", false]);
    assert.equal(breach.expression, `IF(hourly > ${20 * MICRO_PER_USD} AND hourly > 4 * AVG(hourly), 1, 0)`);
    assert.equal(breach.returnData, true);
    assert.equal(a.metricQueries.filter((q: any) => q.returnData).length, 1, "one series for the alarm");
  });

  it("watches the anonymous caller when the API takes no key, and none with factor 0", async () => {
    const open = await runProgram({ apiKeyRequired: "false" });
    assert.deepEqual(runaway(open).map((a) => a.inputs.metricQueries[0].metric.dimensions), [{ ApiKey: "anonymous" }]);
    const off = await runProgram({ keys: KEYS, alarmRunawaySpendFactor: "0" });
    assert.equal(runaway(off).length, 0);
    assert.ok(off.ofType(ALARM).length > 0, "the service's other alarms stay");
  });

  it("refuses a factor no hour could exceed, naming the key", async () => {
    const err = await programError({ alarmRunawaySpendFactor: "24" });
    assert.match(err.message, /alarmRunawaySpendFactor = "24": must be 0 \(no runaway-spend alarms\) or 2-23/);
  });
});

describe("dashboard: spend and resilience widgets (under mocks)", () => {
  let widgets: any[];
  before(async () => {
    const run = await runProgram();
    widgets = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard", "chat-monitoring-dashboard").inputs.dashboardBody).widgets;
  });
  const titled = (title: string) => {
    const found = widgets.filter((w) => w.properties.title === title);
    assert.equal(found.length, 1, title);
    return found[0].properties;
  };
  const search = (dims: string, metric: string, stat = "Sum") => `SEARCH('{${NAMESPACE},${dims}} MetricName="${metric}"', '${stat}'`;

  it("shows spend by key and by model over the last 24 hours and 30 days, in dollars", () => {
    for (const [title, dims, start] of [
      ["Spend by API key, last 24 hours (USD)", "ApiKey", "-PT24H"],
      ["Spend by model, last 24 hours (USD)", "Model", "-PT24H"],
      ["Spend by API key, last 30 days (USD)", "ApiKey", "-P30D"],
      ["Spend by model, last 30 days (USD)", "Model", "-P30D"],
    ]) {
      const p = titled(title);
      assert.deepEqual([p.view, p.setPeriodToTimeRange, p.start], ["bar", true, start], title);
      const [[micro], [usd]] = p.metrics;
      // No period in the search: the widget's, which setPeriodToTimeRange makes the whole range.
      assert.equal(micro.expression, `${search(dims, "CostMicroUsd")})`, title);
      assert.equal(micro.visible, false, "the micro-dollar series is hidden");
      assert.equal(usd.expression, `${micro.id} / 1000000`, title);
    }
  });

  it("shows each key's spend per day and per hour (what the runaway alarms watch)", () => {
    const daily = titled("Spend per day by API key (USD)");
    assert.deepEqual([daily.period, daily.start, daily.metrics[0][0].expression], [86400, "-P30D", `${search("ApiKey", "CostMicroUsd")}, 86400)`]);
    const hourly = titled("Spend per hour by API key (USD): the runaway alarms' view");
    assert.deepEqual([hourly.period, hourly.metrics[0][0].expression], [3600, `${search("ApiKey", "CostMicroUsd")}, 3600)`]);
  });

  it("shows the resilience metrics: retries, fallbacks, circuits, guardrail interventions, concurrency refusals", () => {
    const expressions = (title: string) => titled(title).metrics.map((m: any) => m[0].expression);
    assert.deepEqual(expressions("Upstream retries (by model) and fallbacks (by pair)"), [
      `${search("Model", "UpstreamRetries")}, 300)`, `${search("FromModel,ToModel", "ModelFallbacks")}, 300)`,
    ]);
    assert.deepEqual(expressions("Circuits opened and closed, by model"), [
      `${search("Model", "CircuitOpened")}, 300)`, `${search("Model", "CircuitClosed")}, 300)`,
    ]);
    assert.deepEqual(expressions("Guardrail interventions and concurrency refusals, by API key"), [
      `${search("ApiKey", "GuardrailInterventions")}, 300)`, `${search("ApiKey", "ConcurrencyRefusals")}, 300)`,
    ]);
  });

  it("lays every widget on its own cells of the 24-unit grid", () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      assert.ok(w.x + w.width <= 24, w.properties.title);
      for (let dx = 0; dx < w.width; dx++) {
        for (let dy = 0; dy < w.height; dy++) {
          const cell = `${w.x + dx},${w.y + dy}`;
          assert.ok(!cells.has(cell), `${w.properties.title} overlaps at ${cell}`);
          cells.add(cell);
        }
      }
    }
  });
});
