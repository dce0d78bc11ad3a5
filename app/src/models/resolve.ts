import { parseModelId } from "../bedrock/model-ids";
import { ApiError } from "../http/errors";
import { modelInfo, patternRegExp } from "./catalog";

/**
 * Which served model answers a request: the same resolution for every format. In order: no name -> the default;
 * a served ID -> itself; a served model's other route (`anthropic.x` when `global.anthropic.x` is served) -> that
 * one; a `modelAliases` pattern -> its target; a Claude public name (`claude-opus-4-8`, `opus`, `claude-3-5-haiku-
 * latest`) -> the served model of that family, the same generation if served; anything else -> the default, or a
 * 404 `model_not_found` under `strictModels`.
 */

export interface ResolutionContext {
  /** The served models, the default first. */
  readonly served: readonly string[];
  /** `modelAliases`: name patterns -> served model IDs. */
  readonly aliases: Readonly<Record<string, string>>;
  /** `strictModels`: a name that resolves to nothing is a 404 instead of the default model. */
  readonly strict: boolean;
}

/** The models a deployment serves: the default first, then the further allowed ones, without repeats. */
export function servedModels(defaultModelId: string, allowedModelIds: readonly string[] = []): string[] {
  return [...new Set([defaultModelId, ...allowedModelIds])];
}

/** The resolution context of a configuration. */
export function resolutionContext(
  config: { modelAliases: Readonly<Record<string, string>>; strictModels: boolean },
  served: readonly string[],
): ResolutionContext {
  return { served, aliases: config.modelAliases, strict: config.strictModels };
}

/** The served model ID that answers `requested`; throws a 404 `model_not_found` (strict only). */
export function resolveModel(requested: string | undefined, ctx: ResolutionContext): string {
  if (requested === undefined || requested === "") return ctx.served[0];
  if (ctx.served.includes(requested)) return requested;
  const resolved = sameModel(requested, ctx.served) ?? byAlias(requested, ctx) ?? byFamily(requested, ctx.served);
  if (resolved !== undefined) return resolved;
  if (!ctx.strict) return ctx.served[0];
  const shown = requested.length > 200 ? `${requested.slice(0, 200)}...` : requested;
  throw new ApiError(404, "model_not_found",
    `The model "${shown}" is not served by this deployment; it serves: ${ctx.served.join(", ")}`, { param: "model" });
}

function sameModel(requested: string, served: readonly string[]): string | undefined {
  const wanted = parseModelId(requested).foundationModelId;
  return served.find((id) => parseModelId(id).foundationModelId === wanted);
}

/** The most specific matching pattern (fewest wildcards' worth of freedom) wins; targets must be served. */
function byAlias(requested: string, ctx: ResolutionContext): string | undefined {
  const hit = Object.entries(ctx.aliases)
    .filter(([pattern, target]) => ctx.served.includes(target) && patternRegExp(pattern).test(requested))
    .sort(([a], [b]) => b.replace(/\*/g, "").length - a.replace(/\*/g, "").length)[0];
  return hit?.[1];
}

/** A Claude public name's family and generation: `claude-opus-4-8` -> opus 4.8, `claude-3-5-haiku-x` -> haiku 3.5. */
export function publicClaudeName(name: string): { family: string; generation?: string } | undefined {
  const lower = name.toLowerCase();
  const current = /(?:^|[.\-/])claude-(opus|sonnet|haiku)(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?=$|[-@:[])/.exec(lower);
  if (current) return { family: `claude-${current[1]}`, generation: generation(current[2], current[3]) };
  const older = /(?:^|[.\-/])claude-(\d)(?:-(\d))?-(opus|sonnet|haiku)(?=$|[-@:[])/.exec(lower);
  if (older) return { family: `claude-${older[3]}`, generation: generation(older[1], older[2]) };
  const bare = /^(opus|sonnet|haiku)(?:\[1m\])?$/.exec(lower);
  return bare ? { family: `claude-${bare[1]}` } : undefined;
}

const generation = (major?: string, minor?: string) => (major === undefined ? undefined : minor ? `${major}.${minor}` : major);

function byFamily(requested: string, served: readonly string[]): string | undefined {
  const name = publicClaudeName(requested);
  if (!name) return undefined;
  const family = served.filter((id) => modelInfo(id).family === name.family);
  return family.find((id) => modelInfo(id).generation === name.generation) ?? family[0];
}
