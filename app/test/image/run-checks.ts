import Mocha from "mocha";
import path from "node:path";
import { printFigures } from "./figures";
import { removeTaskNetwork } from "./task-network";

/**
 * Runs the image test's container checks (steps 4-6) with mocha's programmatic API, after run.sh has started the
 * engine and built the image, then prints the figures and the closing line. The closing line also counts the shell
 * steps run.sh passed (IMAGE_TEST_PRIOR_PASSED), so `image: N passed, M failed` covers the whole test.
 *
 * The spec files end in `.spec.ts`, not `.test.ts`, so `npm run test:app` (which has no Docker engine) never
 * picks them up.
 */

const SPECS = ["image-config.spec.ts", "container.spec.ts", "shutdown.spec.ts"];
const priorPassed = Number(process.env.IMAGE_TEST_PRIOR_PASSED ?? 0);

function finish(passes: number, failures: number): void {
  // A run where no check executed must not read as a pass.
  const failed = passes === 0 ? Math.max(failures, 1) : failures;
  printFigures();
  console.log(`image: ${priorPassed + passes} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

const mocha = new Mocha({ reporter: "spec", timeout: 90_000, slow: 10_000 });
for (const spec of SPECS) mocha.addFile(path.join(__dirname, spec));
try {
  const runner = mocha.run(() => void removeTaskNetwork().finally(() => finish(runner.stats?.passes ?? 0, runner.stats?.failures ?? 0)));
} catch (err) {
  // A spec file that does not load (a broken import) is a failure of the whole check run, reported as such.
  console.error("the image checks could not be loaded:", err);
  finish(0, 1);
}
