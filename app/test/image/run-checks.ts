import Mocha from "mocha";
import path from "node:path";
import { printFigures } from "./figures";

/**
 * Runs the image test's container checks (steps 4-6) with mocha's programmatic API, after run.sh has started the
 * engine and built the image, then prints the figures and the closing line. The closing line also counts the shell
 * steps run.sh passed (IMAGE_TEST_PRIOR_PASSED), so `image: N passed, M failed` covers the whole test.
 *
 * The spec files end in `.spec.ts`, not `.test.ts`, so `npm run test:app` (which has no Docker engine) never
 * picks them up.
 */

const SPECS = ["image-config.spec.ts", "container.spec.ts", "shutdown.spec.ts"];

const mocha = new Mocha({ reporter: "spec", timeout: 90_000, slow: 10_000 });
for (const spec of SPECS) mocha.addFile(path.join(__dirname, spec));

const runner = mocha.run(() => {
  const stats = runner.stats ?? { passes: 0, failures: 0 };
  const priorPassed = Number(process.env.IMAGE_TEST_PRIOR_PASSED ?? 0);
  // A run where no check executed must not read as a pass.
  const failed = stats.passes === 0 ? Math.max(stats.failures, 1) : stats.failures;
  printFigures();
  console.log(`image: ${priorPassed + stats.passes} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
});
