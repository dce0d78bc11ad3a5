import { mayCall } from "../app/src/usage/model-access";

/**
 * Cross-key rules of the `keys` list that concern the rest of the stack: limits that could never take effect.
 * infra/config.ts runs them with its other checks, so `pulumi preview` refuses them naming the keys.
 */

/** What these rules read of the configuration (the parsed `keys` list and the stack's own limits). */
export interface KeyLimitsConfig {
  readonly apiKeyRequired: boolean;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly keys: ReadonlyArray<{
    readonly name: string;
    readonly rateLimit?: number;
    readonly burstLimit?: number;
    readonly dailyQuota?: number;
    readonly tokensPerDay?: number;
    readonly tokensPerMonth?: number;
    readonly tokensPerMinute?: number;
    readonly usdPerDay?: number;
    readonly usdPerMonth?: number;
    readonly maxConcurrentStreams?: number;
    readonly guardrail?: unknown;
    readonly models?: readonly string[];
  }>;
}

/**
 * A key whose `models` match none of the served models (chat and embedding): a typo (`*haiku` for `*haiku*`) that
 * would refuse every request of the key with a 403.
 */
export function keysMatchingNoModel(keys: KeyLimitsConfig["keys"], served: readonly string[]): LimitIssue[] {
  return keys.flatMap((key, i) => (!key.models || served.some((id) => mayCall(key, id)) ? [] : [{
    path: ["keys", i, "models"],
    message: `key "${key.name}" may call none of the served models (${served.join(", ")}): every request of it would be refused`,
  }]));
}

/** One refusal: the key path it concerns (`keys[1].rateLimit`) and what to say. */
export interface LimitIssue {
  readonly path: Array<string | number>;
  readonly message: string;
}

/** The limits a key may set; any of them set means the key is expected to be enforced. */
export const KEY_LIMITS = [
  "rateLimit", "burstLimit", "dailyQuota", "tokensPerDay", "tokensPerMonth", "tokensPerMinute", "usdPerDay", "usdPerMonth", "maxConcurrentStreams",
  "guardrail", "models",
] as const;

/**
 * A key's usage-plan rate or burst above the stage's. The stage's method throttle (`throttleRateLimit`,
 * `throttleBurstLimit`, the stage's MethodSettings) applies per method to all callers together, after the usage plans (API
 * Gateway developer guide, "Throttle requests"), so a key's higher plan limit is never reached. The choice made here
 * (refuse, rather than raise the stage to the keys' highest) keeps the stage limit what the operator set it to: the
 * ceiling for every caller together, sized to what the tasks can serve.
 */
export function keyLimitsAboveStage(c: KeyLimitsConfig): LimitIssue[] {
  const stage = { rateLimit: ["throttleRateLimit", c.throttleRateLimit], burstLimit: ["throttleBurstLimit", c.throttleBurstLimit] } as const;
  return c.keys.flatMap((key, i) => (["rateLimit", "burstLimit"] as const).flatMap((field) => {
    const [stageKey, ceiling] = stage[field];
    const value = key[field];
    if (value === undefined || value <= ceiling) return [];
    return [{
      path: ["keys", i, field],
      message: `key "${key.name}" asks for ${value}, above the stage's ${stageKey} (${ceiling}), which caps every ` +
        `method for all callers together after the usage plans: it could never be reached. Lower it to at most ` +
        `${ceiling}, or raise ${stageKey} to at least ${value}`,
    }];
  }));
}

/**
 * `apiKeyRequired: false` with keys that set limits: no method checks a key, so no request is counted against any of
 * them (neither the usage plans nor the token budgets). Keys with a name only are fine (the default list has one).
 */
export function limitsWithoutKeys(c: KeyLimitsConfig): LimitIssue[] {
  if (c.apiKeyRequired) return [];
  const limited = c.keys.flatMap((key, i) => {
    const set = KEY_LIMITS.filter((limit) => key[limit] !== undefined);
    return set.length > 0 ? [`keys[${i}] "${key.name}" (${set.join(", ")})`] : [];
  });
  if (limited.length === 0) return [];
  return [{
    path: ["apiKeyRequired"],
    message: `no method checks an API key with it false, so the limits set in keys would never apply: ${limited.join("; ")}. ` +
      "Set apiKeyRequired to true, or remove those limits from keys",
  }];
}
