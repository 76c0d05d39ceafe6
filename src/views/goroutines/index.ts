// Goroutine dumps as editor tabs: the dump language's links, folding and outline, the Goroutines view,
// and the dump commands. Grouping runs in a worker thread (dist/goroutineWorker.cjs).
import * as vscode from 'vscode';
import { GoroutineGrouper } from '../../profile/goroutineWorkerClient.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import type { SourceLinks } from '../sourceLinks.ts';
import { clearFilters, compareDumps, DiffDocuments, filterByFunction, filterByState, filterByWait, openDump } from './commands.ts';
import { OPEN_FRAME_COMMAND, registerLanguageFeatures } from './languageFeatures.ts';
import { DIFF_SCHEME, GoroutineModels } from './models.ts';
import { GoroutinesView, OPEN_SOURCE_COMMAND, REVEAL_GROUP_COMMAND } from './panel.ts';
import type { GoroutineFrame } from '../../profile/goroutines.ts';
import { registerGuarded, type CommandCallback } from '../commands/index.ts';

export const WORKER_BUNDLE = 'dist/goroutineWorker.cjs';

export interface Goroutines {
  view: GoroutinesView;
  models: GoroutineModels;
}

export function setupGoroutines(ctx: vscode.ExtensionContext, pctx: ProfilerContext, sourceLinks: SourceLinks): Goroutines {
  const grouper = new GoroutineGrouper(ctx.asAbsolutePath(WORKER_BUNDLE));
  const models = new GoroutineModels(grouper, pctx.output);
  const view = GoroutinesView.setup(ctx, models);
  const diffs = new DiffDocuments();
  const deps = { models, grouper, view, diffs, pctx };
  const guard = (id: string, fn: (...args: never[]) => unknown) => registerGuarded(ctx, pctx.output, id, fn as CommandCallback);
  ctx.subscriptions.push(
    { dispose: () => grouper.dispose() },
    models,
    registerLanguageFeatures(models, sourceLinks),
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, diffs),
  );
  guard(OPEN_FRAME_COMMAND, (file: string, line: number) => sourceLinks.open(file, line, `${file}:${line}`));
  guard('etcdProfiler.openGoroutineDump', (uri?: vscode.Uri) => openDump({ output: pctx.output, models, view }, uri instanceof vscode.Uri ? uri : undefined));
  guard('etcdProfiler.compareGoroutineDumps', (current?: vscode.Uri, base?: vscode.Uri) =>
    compareDumps(deps, current instanceof vscode.Uri ? current : undefined, base instanceof vscode.Uri ? base : undefined),
  );
  guard('etcdProfiler.goroutines.filterState', () => filterByState(view));
  guard('etcdProfiler.goroutines.filterWait', () => filterByWait(view));
  guard('etcdProfiler.goroutines.filterFunction', () => filterByFunction(view));
  guard('etcdProfiler.goroutines.clearFilters', () => clearFilters(view));
  guard(REVEAL_GROUP_COMMAND, (index: number) => view.revealGroup(index));
  guard(OPEN_SOURCE_COMMAND, (f: GoroutineFrame) => sourceLinks.open(f.file, f.line, f.function));
  return { view, models };
}
