import type { ContentStep, Renderer, ReplyUsage } from "./render";
import { eventFrame } from "./wire";

/**
 * ConverseStream's events, as frames. Only tool calls are announced with `contentBlockStart`; text and reasoning
 * blocks begin with their first delta, and redacted reasoning is a delta of the reasoning block (as Bedrock does).
 */
export class ConverseRenderer implements Renderer<Uint8Array> {
  private index = -1;
  private kind: "text" | "reasoning" | "tool" | undefined;

  start(): Uint8Array[] {
    return [eventFrame("messageStart", { role: "assistant" })];
  }

  content(step: ContentStep): Uint8Array[] {
    if ("toolUse" in step) {
      const frames = this.close();
      this.index += 1;
      this.kind = "tool";
      const start = { toolUse: { toolUseId: step.toolUse.id, name: step.toolUse.name } };
      return [...frames, eventFrame("contentBlockStart", { contentBlockIndex: this.index, start })];
    }
    if ("toolInput" in step) return [this.delta({ toolUse: { input: step.toolInput } })];
    if ("text" in step) return [...this.enter("text"), this.delta({ text: step.text })];
    const reasoning =
      "reasoning" in step ? { text: step.reasoning } : "signature" in step ? { signature: step.signature } : { redactedContent: step.redacted };
    return [...this.enter("reasoning"), this.delta({ reasoningContent: reasoning })];
  }

  stop(stopReason: string): Uint8Array[] {
    return [...this.close(), eventFrame("messageStop", { stopReason })];
  }

  end(usage: ReplyUsage, latency: { totalMs: number }): Uint8Array[] {
    return [
      eventFrame("metadata", {
        usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
        metrics: { latencyMs: latency.totalMs },
      }),
    ];
  }

  private close(): Uint8Array[] {
    if (this.kind === undefined) return [];
    this.kind = undefined;
    return [eventFrame("contentBlockStop", { contentBlockIndex: this.index })];
  }

  private enter(kind: "text" | "reasoning"): Uint8Array[] {
    if (this.kind === kind) return [];
    const frames = this.close();
    this.index += 1;
    this.kind = kind;
    return frames;
  }

  private delta(delta: Record<string, unknown>): Uint8Array {
    return eventFrame("contentBlockDelta", { contentBlockIndex: Math.max(this.index, 0), delta });
  }
}
