#!/usr/bin/env node
// The `bedrock-chat` command: runs the TypeScript client in this very process through tsx's loader (no build
// step, and no wrapper process in between, so Ctrl-C reaches the client itself).
require("tsx/cjs");
require("./chat.ts");
