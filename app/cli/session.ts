import { ChatError } from "../src/playground/client/chat-error";
import { type ChatMessage, type ChatSettings, streamChat } from "../src/playground/client/chat-stream";
import type { Endpoint } from "./endpoint";
import type { Terminal } from "./terminal";

export type TurnOutcome = "done" | "stopped" | "failed";

/**
 * One conversation: its history, the reply in flight and how to stop it. A stopped reply that said something
 * stays in the history (the next question may refer to it); a failed turn leaves no trace.
 */
export class ChatSession {
  private readonly history: ChatMessage[] = [];
  private current: AbortController | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly settings: ChatSettings,
    private readonly terminal: Terminal,
    private readonly json: boolean,
  ) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Aborts the reply in flight: the connection closes, and the gateway cancels its Bedrock call. */
  stop(): void {
    this.current?.abort();
  }

  async ask(question: string): Promise<TurnOutcome> {
    const turn: ChatMessage = { role: "user", content: question };
    const controller = new AbortController();
    this.current = controller;
    try {
      const reply = await streamChat({
        baseUrl: this.endpoint.url,
        apiKey: this.endpoint.apiKey,
        messages: [...this.history, turn],
        settings: this.settings,
        signal: controller.signal,
        onText: (text) => !this.json && this.terminal.text(text),
        onReasoning: (text) => !this.json && this.terminal.reasoning(text),
        onFrame: (data) => this.json && this.terminal.frame(data),
      });
      this.terminal.stats(reply.stats);
      if (reply.text) this.history.push(turn, { role: "assistant", content: reply.text });
      return reply.stopped ? "stopped" : "done";
    } catch (error) {
      this.terminal.error(error instanceof ChatError ? error.message : `unexpected failure: ${(error as Error).message}`);
      return "failed";
    } finally {
      this.current = undefined;
    }
  }
}
