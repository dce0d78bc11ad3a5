/** The model catalog and name resolution (docs/configuration.md): what formats and billing ask about models. */
export { type ModelInfo, modelInfo, ratesFor, useCatalogOverrides, UNKNOWN_MODEL } from "./catalog";
export type { ModelEffort, ModelFacts, Prices, Rates, ThinkingForm } from "./catalog-schema";
export { clampMaxTokens, EFFORT_LEVELS, fitThinkingBudget, MIN_THINKING_BUDGET, THINKING_BUDGETS, type EffortLevel, modelEffort, reasoningFields, type ReasoningFields } from "./limits";
export { publicClaudeName, type ResolutionContext, resolutionContext, resolveModel, servedModels } from "./resolve";
