// Builds the three bundles: the extension host (CommonJS, `vscode` external), the CLI (ESM, node)
// and the profile panel's front end (browser). `--production` minifies, `--watch` rebuilds on change.
import { rmSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.cjs',
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['vscode'],
  },
  {
    // Goroutine grouping off the extension host's thread (src/views/goroutines).
    ...common,
    entryPoints: ['src/profile/goroutineWorker.ts'],
    outfile: 'dist/goroutineWorker.cjs',
    platform: 'node',
    target: 'node22',
    format: 'cjs',
  },
  {
    ...common,
    // Split so that `capture` (and the Kubernetes client it loads) is a separate chunk that
    // `top` and `goroutines` never parse: startup time counts against go tool pprof.
    entryPoints: ['src/cli.ts'],
    outdir: 'dist',
    entryNames: '[name]',
    chunkNames: 'cli-chunks/[name]-[hash]',
    splitting: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  },
  {
    // The members view (bundle view, Capture from All Members).
    ...common,
    entryPoints: ['webview/members.ts'],
    outfile: 'dist/members.js',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
  },
  {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
  },
  {
    // The Timeline panel's page (src/views/timeline).
    ...common,
    entryPoints: ['webview/timeline.ts'],
    outfile: 'dist/timeline.js',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
  },
];

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  // Chunk names carry content hashes: drop the previous build's, or the .vsix collects every old one.
  rmSync('dist/cli-chunks', { recursive: true, force: true });
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
