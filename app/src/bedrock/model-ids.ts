/**
 * What a Bedrock model id names: a global or geographic cross-Region inference profile, or a foundation model.
 * Shared by the app (CountTokens takes only the foundation model) and the infrastructure (IAM resources per kind).
 */

/** Prefixes of geographic cross-Region (system) inference profiles, e.g. `us.anthropic.claude-...`. */
const GEOGRAPHIC_PROFILE_PREFIXES = ["us", "us-gov", "eu", "apac", "jp", "au", "ca"];

export type ModelKind = "global-profile" | "geographic-profile" | "foundation-model";

export interface ParsedModelId {
  readonly kind: ModelKind;
  /** The model ID without its profile prefix, as it appears in foundation-model ARNs. */
  readonly foundationModelId: string;
}

/** Tells a global or geographic inference profile ID from a plain foundation-model ID. */
export function parseModelId(modelId: string): ParsedModelId {
  const dot = modelId.indexOf(".");
  const prefix = modelId.slice(0, dot);
  const rest = modelId.slice(dot + 1);
  if (prefix === "global") return { kind: "global-profile", foundationModelId: rest };
  if (GEOGRAPHIC_PROFILE_PREFIXES.includes(prefix)) return { kind: "geographic-profile", foundationModelId: rest };
  return { kind: "foundation-model", foundationModelId: modelId };
}

/** Whether the model (or the profile's model) is one of Anthropic's Claude models. */
export function isClaudeModel(modelId: string): boolean {
  return parseModelId(modelId).foundationModelId.startsWith("anthropic.claude");
}
