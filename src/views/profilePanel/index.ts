// Sets up the profile viewer: source links, line annotations, the custom editor and its commands.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { stopRegexWorker } from '../../profile/regexGuard.ts';
import { registerGuarded } from '../commands/index.ts';
import { LineAnnotations, TOGGLE_ANNOTATIONS_COMMAND } from '../lineAnnotations.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { SourceLinks } from '../sourceLinks.ts';
import { PROFILE_VIEW_TYPE, ProfileEditorProvider } from './profileEditor.ts';

export const OPEN_PROFILE_COMMAND = 'etcdProfiler.openProfile';
export const COMPARE_PROFILES_COMMAND = 'etcdProfiler.compareProfiles';

const PROFILE_FILTERS = { Profiles: ['gz', 'pprof', 'prof'], 'All files': ['*'] };

export interface ProfileViewer {
  provider: ProfileEditorProvider;
  sourceLinks: SourceLinks;
  annotations: LineAnnotations;
}

function defaultFolder(pctx: ProfilerContext): vscode.Uri | undefined {
  return pctx.captures?.root ?? vscode.workspace.workspaceFolders?.[0]?.uri;
}

export function setupProfileViewer(ctx: vscode.ExtensionContext, pctx: ProfilerContext): ProfileViewer {
  const sourceLinks = new SourceLinks(ctx);
  const annotations = LineAnnotations.setup(ctx, sourceLinks);
  const provider = ProfileEditorProvider.setup(ctx, {
    sourceLinks,
    annotations,
    output: pctx.output,
    capturesRoot: () => pctx.captures?.root?.fsPath,
    podNode: async (info) => {
      if (!info.context || !info.namespace || !info.pod) return undefined;
      const d = await pctx.pods.discovery(info.context);
      for (const g of d.groups) for (const p of g.pods) if (p.namespace === info.namespace && p.name === info.pod) return p.node;
      return undefined;
    },
  });
  ctx.subscriptions.push(sourceLinks, { dispose: stopRegexWorker });
  registerGuarded(ctx, pctx.output, TOGGLE_ANNOTATIONS_COMMAND, () => annotations.toggle());
  registerGuarded(ctx, pctx.output, OPEN_PROFILE_COMMAND, async (uri?: vscode.Uri) => {
    const target =
      uri instanceof vscode.Uri
        ? uri
        : (await vscode.window.showOpenDialog({ title: 'Open Profile', openLabel: 'Open', defaultUri: defaultFolder(pctx), filters: PROFILE_FILTERS }))?.[0];
    if (target) await vscode.commands.executeCommand('vscode.openWith', target, PROFILE_VIEW_TYPE);
  });
  // `target`: the profile to compare (its open editor); default the profile editor last focused.
  registerGuarded(ctx, pctx.output, COMPARE_PROFILES_COMMAND, async (uri?: vscode.Uri, target?: vscode.Uri) => {
    const session = (target instanceof vscode.Uri ? provider.sessionFor(target) : undefined) ?? provider.active;
    if (!session) {
      void vscode.window.showInformationMessage('Open a profile in the profile viewer first, then compare it with a base profile.');
      return;
    }
    const base = uri instanceof vscode.Uri && uri.toString() !== session.doc.uri.toString() ? uri : undefined;
    await session.compare(base);
    if (base) vscode.window.setStatusBarMessage(`Comparing with ${basename(base.fsPath)}`, 3000);
  });
  return { provider, sourceLinks, annotations };
}
