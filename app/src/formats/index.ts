import type { Middleware } from "koa";
import type { AppState } from "../http/request-record";
import { anthropicFormat } from "./anthropic/format";
import { anthropicTokenCount } from "./anthropic/count-tokens";
import { type ChatDependencies, chatHandler } from "./chat-handler";
import { countTokensHandler } from "./count-tokens-handler";
import { ndjsonFormat } from "./ndjson/format";
import type { WireFormat } from "./wire-format";

export type { ChatDependencies } from "./chat-handler";

/** One route a wire format serves, relative to the stage. */
export interface FormatRoute {
  method: "get" | "post";
  path: string;
  /** The format whose error shape the route's failures take. */
  format: WireFormat;
  handler: Middleware<AppState>;
}

/** Every route of every wire format; a new format adds its routes here. */
export function formatRoutes(deps: ChatDependencies): FormatRoute[] {
  return [
    { method: "post", path: "/stream", format: ndjsonFormat, handler: chatHandler(ndjsonFormat, deps) },
    { method: "post", path: "/v1/messages", format: anthropicFormat, handler: chatHandler(anthropicFormat, deps) },
    {
      method: "post",
      path: "/v1/messages/count_tokens",
      format: anthropicFormat,
      handler: countTokensHandler(anthropicTokenCount, deps),
    },
  ];
}
