import assert from "node:assert/strict";
import { createBedrockClient } from "../src/bedrock/client";
import { SKIPPED_MIDDLEWARE } from "../src/lean-aws-client";
import { storeClient } from "../src/usage/setup";

describe("the service's AWS clients", () => {
  for (const [name, create] of [
    ["usage store", () => storeClient("us-east-1")],
    ["Bedrock", () => createBedrockClient("us-east-1")],
  ] as const) {
    it(`the ${name} client keeps signing, retries and serde, and drops only the middleware it does without`, () => {
      const client = create();
      try {
        const stack = client.middlewareStack.identify().map((entry) => entry.split(" ")[0]);
        for (const skipped of SKIPPED_MIDDLEWARE) assert.ok(!stack.includes(skipped), `${skipped} is still there`);
        for (const kept of ["serializerMiddleware", "retryMiddleware", "httpSigningMiddleware", "deserializerMiddleware"]) {
          assert.ok(stack.includes(kept), `${kept} is missing`);
        }
      } finally {
        client.destroy();
      }
    });
  }
});
