import * as assert from "node:assert/strict";
import { hourBreaches, RUNAWAY_WINDOW_HOURS, runawayFactorSchema, runawayThresholdUsd } from "../runaway-spend";

const USD = 1_000_000;
const RULE = { factor: 5, floorUsd: 5 };
/** 23 hours of `usd` each (micro-dollars), then the hour under test. */
const day = (usd: number, last: number) => [...Array(RUNAWAY_WINDOW_HOURS - 1).fill(usd * USD), last * USD];

describe("runaway-spend alarm math", () => {
  it("alarms on an hour above the floor and factor times the trailing day's mean hour, that hour included", () => {
    // 23 hours at $2 and one at $12: mean (46 + 12) / 24 = 2.4167, five times that is 12.08 -> $12 does not breach.
    assert.equal(hourBreaches(12 * USD, day(2, 12), RULE), false);
    // $13: mean 59/24 = 2.4583, times five 12.29 -> breaches.
    assert.equal(hourBreaches(13 * USD, day(2, 13), RULE), true);
    // The closed form agrees: 5 * 46 / (24 - 5) = 12.105 dollars.
    assert.equal(runawayThresholdUsd(46, RULE).toFixed(3), "12.105");
  });

  it("never alarms at or below the floor, however quiet the key was (an idle key's first requests)", () => {
    assert.equal(hourBreaches(5 * USD, day(0, 5), RULE), false);
    assert.equal(hourBreaches(5 * USD + 1, day(0, 5.000001), RULE), true);
    assert.equal(runawayThresholdUsd(0, RULE), 5);
  });

  it("counts hours without data as $0 (the alarm's FILL), not as missing", () => {
    // Only two hours reported: $1 and $8. Over 24 filled hours the mean is 9/24 = 0.375, so $8 breaches (8 > 1.875);
    // a mean over the two reported hours alone (4.5) would hide it.
    assert.equal(hourBreaches(8 * USD, [1 * USD, 8 * USD], { factor: 5, floorUsd: 1 }), true);
  });

  it("agrees with the closed-form threshold across factors, floors and histories", () => {
    for (const factor of [2, 5, 10, 23]) {
      for (const floorUsd of [0, 1, 50]) {
        for (const perHour of [0, 0.5, 3, 40]) {
          const rule = { factor, floorUsd };
          const threshold = runawayThresholdUsd(perHour * (RUNAWAY_WINDOW_HOURS - 1), rule);
          const at = (usd: number) => hourBreaches(usd * USD, day(perHour, usd), rule);
          assert.equal(at(threshold * 1.001 + 0.000002), true, `${factor}x $${floorUsd} after $${perHour}/h: just above`);
          assert.equal(at(threshold * 0.999), false, `${factor}x $${floorUsd} after $${perHour}/h: just below`);
        }
      }
    }
  });

  it("accepts factors an hour can exceed, or 0 for none", () => {
    for (const ok of [0, 2, 5, 23]) assert.equal(runawayFactorSchema.safeParse(ok).success, true, String(ok));
    // At 24 an hour would have to exceed the whole day's spend, itself included: it never could.
    for (const bad of [1, 24, 100, -1, 2.5]) assert.equal(runawayFactorSchema.safeParse(bad).success, false, String(bad));
  });
});
