#!/usr/bin/env node
// Thin launcher: registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require('tsx/cjs');
require('../scripts/cli.ts');
