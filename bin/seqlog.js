#!/usr/bin/env node
// The `seqlog` command: runs the compiled CLI (`npm run build`, which `npm ci` runs through the `dependencies` script).
import "../dist/cli/main.js";
