// Sets up recordings and the Timeline panel: the Record, Stop and Open Timeline commands, the status bar entry.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import { RECORDING_INDEX } from '../../profile/recordingIndex.ts';
import type { CommandFactory } from '../commands/index.ts';
import type { ProfileViewer } from '../profilePanel/index.ts';
import { PROFILE_VIEW_TYPE } from '../profilePanel/profileEditor.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { TimelinePanel, type TimelineDeps } from './panel.ts';
import { Recordings, recordCommand, recordingMenu, recordingStatusBar } from './record.ts';

type RegisterCommand = (id: string, factory: CommandFactory) => void;

async function compareProfiles(viewer: ProfileViewer, current: vscode.Uri, base: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.openWith', current, PROFILE_VIEW_TYPE, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  const until = Date.now() + 10_000;
  while (viewer.provider.active?.doc.uri.toString() !== current.toString()) {
    if (Date.now() > until) throw new Error(`The profile viewer did not open ${basename(current.fsPath)}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await viewer.provider.active.compare(base);
}

export function setupTimeline(ctx: vscode.ExtensionContext, pctx: ProfilerContext, registerCommand: RegisterCommand, forwards: ForwardRegistry, viewer: ProfileViewer): Recordings {
  const recordings = new Recordings();
  const deps: TimelineDeps = { extensionUri: ctx.extensionUri, output: pctx.output, compareProfiles: (c, b) => compareProfiles(viewer, c, b) };
  ctx.subscriptions.push(recordingStatusBar(recordings), { dispose: () => recordings.stopAll() });
  registerCommand('etcdProfiler.record', recordCommand(recordings, forwards, deps));
  registerCommand('etcdProfiler.recordingMenu', recordingMenu(recordings, deps));
  registerCommand('etcdProfiler.stopRecording', () => () => {
    if (recordings.active.size === 0) void vscode.window.showInformationMessage('No recording is running.');
    recordings.stopAll();
  });
  registerCommand('etcdProfiler.openTimeline', () => async (arg?: unknown) => {
    let target = arg instanceof vscode.Uri ? arg : (arg as { file?: { path?: string } } | undefined)?.file?.path ? vscode.Uri.file((arg as { file: { path: string } }).file.path) : undefined;
    target ??= (
      await vscode.window.showOpenDialog({
        title: 'Open Timeline: a recording (its recording.jsonl or folder)',
        openLabel: 'Open Timeline',
        defaultUri: pctx.captures.root,
        canSelectFolders: true,
        canSelectFiles: true,
        filters: { Recordings: [RECORDING_INDEX.split('.').pop()!] },
      })
    )?.[0];
    if (!target) return undefined;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Reading the recording…' }, () => TimelinePanel.openRecording(target.fsPath, deps));
    return target.fsPath;
  });
  return recordings;
}
