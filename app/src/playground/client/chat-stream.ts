import { CHAT_COMPLETIONS_PATH, ESTIMATED_COST_HEADER, MODELS_PATH } from "../../route-paths";
import { ChatError, httpError, streamError } from "./chat-error";
import { replyStats, type ReplyStats, type ReplyTimes, type Usage } from "./reply-stats";
import { sseData } from "./sse";

/**
 * One streamed chat turn against the gateway's OpenAI-compatible `POST /chat/completions`, measured the way a user
 * feels it: time to the first token, then output tokens per second. The browser playground and the terminal client
 * both run this, so they send the same request and report the same figures.
 */

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

/** The per-conversation settings a user picks; unset ones are left to the server's defaults. */
export interface ChatSettings {
  model?: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
}

export interface ChatCall {
  /** The stage URL, e.g. `https://abc.execute-api.us-east-1.amazonaws.com/v1/` or `http://localhost:8080/`. */
  baseUrl: string;
  apiKey?: string;
  /** The conversation so far, ending with the user's new turn. */
  messages: readonly ChatMessage[];
  settings: ChatSettings;
  /** Aborting it closes the connection, which makes the gateway cancel the Bedrock call. */
  signal?: AbortSignal;
  /** Each piece of reply text, the moment it arrives. */
  onText?(text: string): void;
  /** Each piece of reasoning (extended thinking) text. */
  onReasoning?(text: string): void;
  /** Every frame's data, verbatim (the terminal client's `--json`). */
  onFrame?(data: string): void;
}

export interface ChatReply {
  text: string;
  /** True when the caller aborted (Stop, Ctrl-C) before the reply was complete. */
  stopped: boolean;
  stats: ReplyStats;
}

/**
 * Headers that carry the key: `Authorization: Bearer` (what OpenAI clients send) and `x-api-key` (what API
 * Gateway's usage plans read), so the typed key works whichever one the deployment checks.
 */
export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}`, "x-api-key": apiKey } : {};
}

/** The stage URL (with or without a trailing slash) + a route path (`/models`). */
export function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** The Chat Completions request body for a turn: streamed, with the usage chunk at the end. */
export function chatRequestBody(messages: readonly ChatMessage[], settings: ChatSettings): Record<string, unknown> {
  return {
    ...(settings.model ? { model: settings.model } : {}),
    messages: [...(settings.system ? [{ role: "system", content: settings.system }] : []), ...messages],
    ...(settings.maxTokens !== undefined ? { max_tokens: settings.maxTokens } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** Runs one turn; resolves with the reply (possibly stopped) or rejects with a {@link ChatError}. */
export async function streamChat(call: ChatCall): Promise<ChatReply> {
  const url = endpoint(call.baseUrl, CHAT_COMPLETIONS_PATH);
  const times: ReplyTimes = { startedAt: performance.now() };
  const state = { text: "", deltas: 0, stopReason: undefined as string | undefined, usage: undefined as Usage | undefined };
  const result = (stopped: boolean): ChatReply => {
    times.endedAt ??= performance.now();
    return { text: state.text, stopped, stats: replyStats(times, state.deltas, state.usage, stopped ? "stopped" : state.stopReason) };
  };
  try {
    const response = await fetch(url, {
      method: "POST",
      // The cost header: the usage chunk then carries the reply's estimated cost (the gateway's own field).
      headers: {
        "content-type": "application/json", accept: "text/event-stream", [ESTIMATED_COST_HEADER]: "true", ...authHeaders(call.apiKey),
      },
      body: JSON.stringify(chatRequestBody(call.messages, call.settings)),
      signal: call.signal,
    });
    if (response.status !== 200 || !response.body) {
      throw httpError(response.status, await response.text(), response.headers.get("retry-after"));
    }
    for await (const data of sseData(response.body)) {
      call.onFrame?.(data);
      if (data === "[DONE]") return result(false);
      const chunk = parseChunk(data);
      if (chunk.error) throw streamError(chunk.error);
      const choice = chunk.choices?.[0];
      const text = choice?.delta?.content;
      const reasoning = choice?.delta?.reasoning_content;
      if (text || reasoning) {
        times.firstTokenAt ??= performance.now();
        state.deltas += 1;
      }
      if (reasoning) call.onReasoning?.(reasoning);
      if (text) {
        state.text += text;
        call.onText?.(text);
      }
      if (choice?.finish_reason) state.stopReason = choice.finish_reason;
      if (chunk.usage) {
        state.usage = {
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
          totalTokens: chunk.usage.total_tokens,
          cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens,
          costMicroUsd: chunk.usage.estimated_cost_micro_usd,
        };
      }
      times.endedAt = performance.now();
    }
    throw new ChatError("The stream ended before the reply was complete (no [DONE]).", "upstream");
  } catch (error) {
    if (call.signal?.aborted) return result(true);
    if (error instanceof ChatError) throw error;
    throw networkError(url, error);
  }
}

interface Chunk {
  error?: { message?: unknown; code?: unknown; type?: unknown };
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number };
    estimated_cost_micro_usd?: number;
  } | null;
}

function parseChunk(data: string): Chunk {
  try {
    return JSON.parse(data) as Chunk;
  } catch {
    throw new ChatError("The server sent a frame that is not JSON; is this URL a chat gateway?", "protocol");
  }
}

/** fetch's own failures: nothing answered, or the connection broke mid-reply. */
function networkError(url: string, error: unknown): ChatError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new ChatError(`Cannot reach ${url}${reason ? ` (${reason})` : ""}.`, "network");
}

/** `GET /models`: the ids a deployment serves, its default first. */
export async function listModels(baseUrl: string, apiKey?: string, signal?: AbortSignal): Promise<string[]> {
  const url = endpoint(baseUrl, MODELS_PATH);
  let response: Response;
  try {
    response = await fetch(url, { headers: authHeaders(apiKey), signal });
  } catch (error) {
    throw networkError(url, error);
  }
  const body = await response.text();
  if (response.status !== 200) throw httpError(response.status, body, response.headers.get("retry-after"));
  try {
    const list = JSON.parse(body) as { data: { id: string }[] };
    return list.data.map((model) => model.id);
  } catch {
    throw new ChatError(`${url} did not answer a model list.`, "protocol");
  }
}
