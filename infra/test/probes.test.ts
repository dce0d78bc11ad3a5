import * as assert from "node:assert/strict";
import { ProgramRun, runProgram } from "./program-under-mocks";
import { RESOURCE, METHOD, INTEGRATION, DEPLOYMENT, METHOD_RESPONSE, INTEGRATION_RESPONSE } from "./resource-types";


/** Resource id -> its path, from the resources the program created (the root resource is `/`). */
function pathsById(run: ProgramRun): Map<string, string> {
  const byName = new Map(run.ofType(RESOURCE).map((r) => [`${r.name}-id`, r.inputs]));
  const pathOf = (id: string): string => {
    if (id === "root-resource-id") return "";
    const resource = byName.get(id)!;
    return `${pathOf(resource.parentId)}/${resource.pathPart}`;
  };
  return new Map([["root-resource-id", "/"], ...[...byName.keys()].map((id) => [id, pathOf(id)] as [string, string])]);
}

/**
 * GET and HEAD on the stage root, `<stage>/v1` and the paths Claude Code probes (`/api/hello`) answer 200 at the
 * edge (issue 21 item 6): before, API Gateway had no method there and answered 403 "Missing Authentication Token".
 */
describe("probe routes: the stage root, /v1 and /api/hello answer GET and HEAD with 200", () => {
  for (const [label, config] of [["keys required", {}], ["apiKeyRequired false", { apiKeyRequired: "false" }]] as const) {
    describe(label, () => {
      let run: ProgramRun;
      before(async () => {
        run = await runProgram(config);
      });

      it("has a keyless GET and HEAD method on each path, each a MOCK answering 200 {\"status\":\"ok\"}", () => {
        const paths = pathsById(run);
        const probes = run.ofType(METHOD).filter((m) => m.name.endsWith("-get-method") || m.name.endsWith("-head-method"));
        assert.deepEqual(probes.map((m) => `${m.inputs.httpMethod} ${paths.get(m.inputs.resourceId)}`).sort(), [
          "GET /", "GET /api/hello", "GET /v1", "GET /v1/api/hello",
          "HEAD /", "HEAD /api/hello", "HEAD /v1", "HEAD /v1/api/hello",
        ]);
        for (const method of probes) {
          const base = method.name.replace(/-method$/, "");
          assert.deepEqual([method.inputs.authorization, method.inputs.apiKeyRequired, method.inputs.authorizerId],
            ["NONE", false, undefined], method.name);
          const integration = run.one(INTEGRATION, `${base}-integration`).inputs;
          assert.equal(integration.type, "MOCK", "nothing reaches the tasks");
          assert.equal(integration.connectionId, undefined);
          assert.equal(integration.httpMethod, method.inputs.httpMethod);
          assert.deepEqual(JSON.parse(integration.requestTemplates["application/json"]), { statusCode: 200 });
          assert.equal(run.one(METHOD_RESPONSE, `${base}-ok`).inputs.statusCode, "200");
          const response = run.one(INTEGRATION_RESPONSE, `${base}-ok-response`).inputs;
          assert.equal(response.statusCode, "200");
          assert.deepEqual(JSON.parse(response.responseTemplates["application/json"]), { status: "ok" });
        }
      });

      it("the deployment waits for every probe's method, integration and responses", () => {
        const deployment = run.one(DEPLOYMENT, "chat-deployment");
        for (const name of ["chat-root-get-method", "chat-root-head-integration", "chat-v1-head-ok-response", "chat-api-hello-get-ok"]) {
          assert.ok(deployment.dependsOn.includes(name), name);
        }
      });
    });
  }
});
