/**
 * Loaded by mocha before any test (.mocharc.json). On Node 20 the AWS SDK prints its nine-line
 * NodeVersionSupportWarning in every process that builds a client: the mocha process and each server a test starts
 * with its environment. The README's Requirements and `npm run local` say what to do about Node 20 once; the tests
 * turn the SDK's copies off (app/test/first-run.test.ts removes this for the `npm run local` it checks).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
