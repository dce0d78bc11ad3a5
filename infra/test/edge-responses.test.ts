import Anthropic from "@anthropic-ai/sdk";
import * as assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { ProgramRun, runProgram } from "./program-under-mocks";
import { DEPLOYMENT } from "./resource-types";

const RESPONSE = "aws:apigateway/response:Response";

/**
 * What each client family must read from API Gateway's own answers: API Gateway's status and message, in its words,
 * except a wrong key, which OpenAI and Anthropic answer 401 (`statusCode` is then set on the gateway response).
 */
const EXPECTED: Record<string, { status: number; message: string; type: string; code: string; retryAfter?: string; statusCode?: string; gatewayMessage?: string }> = {
  UNAUTHORIZED: { status: 401, message: "Unauthorized", type: "authentication_error", code: "unauthorized" },
  INVALID_API_KEY: { status: 401, message: "Invalid API key", type: "authentication_error", code: "invalid_api_key", statusCode: "401", gatewayMessage: "Forbidden" },
  ACCESS_DENIED: { status: 403, message: "User is not authorized to access this resource", type: "permission_error", code: "access_denied" },
  THROTTLED: { status: 429, message: "Too Many Requests", type: "rate_limit_error", code: "throttled", retryAfter: "1" },
  QUOTA_EXCEEDED: { status: 429, message: "Limit Exceeded", type: "rate_limit_error", code: "quota_exceeded" },
  DEFAULT_4XX: { status: 403, message: "Missing Authentication Token", type: "invalid_request_error", code: "bad_request" },
  DEFAULT_5XX: { status: 500, message: "Internal server error", type: "api_error", code: "gateway_error" },
};

/** What API Gateway does with a template: substitutes the quoted message; header values are quoted literals. */
function render(response: { inputs: any }, message: string): { body: string; headers: Record<string, string> } {
  const body = response.inputs.responseTemplates["application/json"].replaceAll("$context.error.messageString", JSON.stringify(message));
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [parameter, value] of Object.entries<string>(response.inputs.responseParameters ?? {})) {
    headers[parameter.replace("gatewayresponse.header.", "")] = value.replace(/^'|'$/g, "");
  }
  return { body, headers };
}

/** Serves one rendered answer to every request, as API Gateway would answer a refused call. */
async function serve(status: number, answer: { body: string; headers: Record<string, string> }): Promise<http.Server & { url: string }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(server, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
}

describe("API Gateway's own answers (gateway responses)", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("shapes every refusal API Gateway gives itself, keeping its status but for a wrong key's", () => {
    const responses = run.ofType(RESPONSE);
    assert.deepEqual(responses.map((r) => r.inputs.responseType).sort(), Object.keys(EXPECTED).sort());
    for (const response of responses) {
      assert.equal(response.inputs.restApiId, "chat-api-id");
      const type = response.inputs.responseType as string;
      assert.equal(response.inputs.statusCode, EXPECTED[type].statusCode, `${type}: the status it answers with`);
      assert.deepEqual(Object.keys(response.inputs.responseTemplates), ["application/json"]);
    }
  });

  for (const [responseType, expected] of Object.entries(EXPECTED)) {
    it(`${responseType}: one body that Anthropic, OpenAI and native clients each read as their error`, () => {
      const response = run.ofType(RESPONSE).find((r) => r.inputs.responseType === responseType)!;
      const { body, headers } = render(response, expected.gatewayMessage ?? expected.message);
      assert.deepEqual(JSON.parse(body), {
        type: "error",
        error: { type: expected.type, code: expected.code, param: null, message: expected.message },
        message: expected.message,
      });
      assert.equal(headers["Retry-After"], expected.retryAfter);
    });
  }

  it("the real SDKs raise their class for the status, with API Gateway's message and the error type", async () => {
    for (const responseType of ["UNAUTHORIZED", "INVALID_API_KEY", "THROTTLED"]) {
      const expected = EXPECTED[responseType];
      const response = run.ofType(RESPONSE).find((r) => r.inputs.responseType === responseType)!;
      const server = await serve(expected.status, render(response, expected.gatewayMessage ?? expected.message));
      try {
        const openai = new OpenAI({ baseURL: server.url, apiKey: "wrong", maxRetries: 0 });
        const anthropic = new Anthropic({ baseURL: server.url, apiKey: "wrong", maxRetries: 0 });
        const classes = {
          401: [OpenAI.AuthenticationError, Anthropic.AuthenticationError],
          403: [OpenAI.PermissionDeniedError, Anthropic.PermissionDeniedError],
          429: [OpenAI.RateLimitError, Anthropic.RateLimitError],
        }[expected.status]!;
        await assert.rejects(openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }), (err: unknown) => {
          assert.ok(err instanceof classes[0], `${responseType}: ${err}`);
          const { message, type, code } = err as InstanceType<typeof OpenAI.APIError>;
          assert.deepEqual({ message, type, code }, { message: `${expected.status} ${expected.message}`, type: expected.type, code: expected.code });
          return true;
        });
        await assert.rejects(anthropic.messages.create({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }] }), (err: unknown) => {
          assert.ok(err instanceof classes[1], `${responseType}: ${err}`);
          const { type, error } = err as InstanceType<typeof Anthropic.APIError>;
          assert.equal(type, expected.type);
          assert.equal((error as { error: { message: string } }).error.message, expected.message);
          return true;
        });
      } finally {
        server.close();
      }
    }
  });

  it("the deployment waits for them, and its trigger covers them (a changed answer needs a new deployment)", () => {
    const deployment = run.one(DEPLOYMENT, "chat-deployment");
    for (const response of run.ofType(RESPONSE)) {
      assert.ok(deployment.dependsOn.includes(response.name), `the deployment depends on ${response.name}`);
    }
    assert.match(deployment.inputs.triggers.edgeResponses, /^[0-9a-f]{64}$/);
  });
});
