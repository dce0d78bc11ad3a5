import { modelInfo } from "../src/models";
import type { PromptView } from "./prompt";

/**
 * What Bedrock refuses before a model runs, per the model catalog (app/src/models), so a request the gateway adapted
 * wrongly fails in tests instead of in production. Only models the catalog knows are judged; an unknown ID passes.
 * Messages are Bedrock's (Claude user guide, "Adaptive thinking"; the budget models' tag error as Bedrock relays it).
 */
export function bedrockRefusal(modelId: string, view: PromptView): string | undefined {
  const info = modelInfo(modelId);
  const type = view.thinking?.type;
  if (!info.known || type === undefined) return undefined;
  if (type === "adaptive" && info.thinking !== "adaptive" && info.thinking !== "adaptive-only") {
    return "The model returned the following errors: thinking: Input tag 'adaptive' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'";
  }
  if ((type === "enabled" || type === "disabled") && info.thinking === "adaptive-only") {
    return `"thinking.type.${type}" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`;
  }
  return undefined;
}
