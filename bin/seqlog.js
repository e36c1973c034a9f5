#!/usr/bin/env node
// The `seqlog` command. The package ships TypeScript sources and runs them through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
