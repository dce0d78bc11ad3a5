/**
 * The rule a `fallbacks` map follows besides its shape: every model in it is one the deployment serves (the task
 * role may invoke only those, infra/iam.ts), and no model falls back to itself. Shared by the app's start-up check
 * (config.ts) and the stack's (infra/config.ts). Plain TypeScript: both load it.
 */
export function fallbackProblems(
  served: readonly string[],
  fallbacks: Readonly<Record<string, readonly string[]>>,
): string[] {
  const problems: string[] = [];
  for (const [model, next] of Object.entries(fallbacks)) {
    if (!served.includes(model)) problems.push(`names ${model}, which is not served (modelId or allowedModelIds)`);
    for (const target of next) {
      if (target === model) problems.push(`lets ${model} fall back to itself`);
      else if (!served.includes(target)) problems.push(`lets ${model} fall back to ${target}, which is not served`);
    }
  }
  return problems;
}
