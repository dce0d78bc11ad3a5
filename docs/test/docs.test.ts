import * as assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { SETTING_LIST } from "../../app/src/settings";
import { anchors, githubSlug, links } from "./markdown";

const ROOT = path.resolve(__dirname, "..", "..");
const DOCS = path.join(ROOT, "docs");
const PAGES = ["README.md", ...readdirSync(DOCS).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
const read = (page: string) => readFileSync(path.join(ROOT, page), "utf8");
const REFERENCE = "docs/configuration.md";

describe("docs", () => {
  describe("links", () => {
    for (const page of PAGES) {
      it(`${page}: every relative link and #anchor resolves`, () => {
        const problems: string[] = [];
        for (const { target, line } of links(read(page))) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
          const [file, anchor] = target.split("#", 2) as [string, string | undefined];
          const resolved = file ? path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(file)) : path.join(ROOT, page);
          if (!existsSync(resolved)) {
            problems.push(`${page}:${line}: ${target}: no such file`);
            continue;
          }
          if (anchor === undefined) continue;
          if (!resolved.endsWith(".md") || statSync(resolved).isDirectory()) {
            problems.push(`${page}:${line}: ${target}: an anchor into a file that is not Markdown`);
          } else if (!anchors(readFileSync(resolved, "utf8")).has(decodeURIComponent(anchor))) {
            problems.push(`${page}:${line}: ${target}: no heading with that anchor`);
          }
        }
        assert.deepEqual(problems, []);
      });
    }

    it("the docs folder holds a page for each job the README points to", () => {
      const linked = new Set(links(read("README.md")).map(({ target }) => target.split("#")[0]));
      for (const page of PAGES.filter((name) => name.startsWith("docs/"))) assert.ok(linked.has(page), `${page} is not linked from README.md`);
    });
  });

  describe("the configuration reference", () => {
    const reference = read(REFERENCE);
    const named = (name: string) => reference.includes(`\`${name}\``);

    it("names every setting of the registry (app/src/settings.ts) by its environment variable and Pulumi key", () => {
      const missing: string[] = [];
      for (const [, setting] of SETTING_LIST) {
        if (!named(setting.env)) missing.push(setting.env);
        if (setting.stack && !named(setting.stack.key)) missing.push(setting.stack.key);
      }
      assert.deepEqual(missing, [], `${REFERENCE} lacks these settings`);
    });

    it("names every Pulumi configuration key declared in Pulumi.yaml", () => {
      const project = parse(read("Pulumi.yaml")) as { config: Record<string, unknown> };
      const missing = Object.keys(project.config).filter((key) => !named(key.replace(/^bedrock-stream-api:/, "")));
      assert.deepEqual(missing, [], `${REFERENCE} lacks these keys`);
    });
  });

  it("the README states the Node.js versions package.json's engines allows", () => {
    const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines.node;
    const minimum = /^>=(\d+\.\d+)$/.exec(engines)?.[1];
    assert.ok(minimum, `engines.node is "${engines}": state it in the README's Requirements too`);
    const requirements = read("README.md").split("## Requirements")[1]?.split("\n## ")[0] ?? "";
    assert.match(requirements, new RegExp(`Node\\.js ${minimum.replace(".", "\\.")} or newer`));
  });

  it("the README stays a first page: at most about 300 lines", () => {
    const lines = read("README.md").split("\n").length;
    assert.ok(lines <= 310, `README.md has ${lines} lines`);
  });

  describe("GitHub's anchors", () => {
    it("are the heading in lower case, punctuation and code marks dropped, spaces as hyphens", () => {
      assert.equal(githubSlug("The service's environment"), "the-services-environment");
      assert.equal(githubSlug("`anthropic-beta`"), "anthropic-beta");
      assert.equal(githubSlug("What it adds, in cost and time"), "what-it-adds-in-cost-and-time");
      assert.equal(githubSlug("A request's path through `app/src`"), "a-requests-path-through-appsrc");
      assert.equal(githubSlug("Quick start (no AWS account needed)"), "quick-start-no-aws-account-needed");
    });

    it("number repeated headings and skip '#' lines inside code", () => {
      const page = "# Title\n## Tests\n```bash\n# not a heading\n```\n## Tests\n";
      assert.deepEqual([...anchors(page)], ["title", "tests", "tests-1"]);
    });

    it("a link to a missing anchor is found (the check can fail)", () => {
      const page = "# Title\nSee [x](#nowhere) and [y](#title).\n";
      const targets = links(page).map(({ target }) => target.slice(1));
      assert.deepEqual(targets.filter((anchor) => !anchors(page).has(anchor)), ["nowhere"]);
    });
  });
});
