import type { TokenCountFormat } from "../count-tokens-handler";
import { parseCountTokensRequest } from "./request";

/** `POST /v1/messages/count_tokens`: the Messages body without generation settings; answers `{"input_tokens": N}`. */
export const anthropicTokenCount: TokenCountFormat = {
  parseRequest: parseCountTokensRequest,
  countBody: (inputTokens) => ({ input_tokens: inputTokens }),
};
