// The members view: one webview with the members side by side (a profiling bundle, or one kind captured from
// every member). Each member's files open from it (profiles in the profile viewer, dumps and texts in editor
// tabs); "Compare members" opens one member's profile and diffs it against another's in the profile viewer.
import * as vscode from 'vscode';
import type { FromMembers, MembersPayload, ToMembers } from '../../membersProtocol.ts';
import { contentSecurityPolicy, makeNonce } from '../profilePanel/html.ts';
import { COMPARE_PROFILES_COMMAND } from '../profilePanel/index.ts';
import { PROFILE_VIEW_TYPE } from '../profilePanel/profileEditor.ts';

export const MEMBERS_VIEW_TYPE = 'etcdProfiler.members';

export interface MembersSource {
  /** Same key → the open panel is revealed instead of a second one. */
  key: string;
  title: string;
  payload(): Promise<MembersPayload>;
  /** The file behind a `MemberFile.id` or a document name. */
  uriOf(id: string): vscode.Uri | undefined;
}

function attr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Opens a member's file where it belongs: profiles in the profile viewer, the rest as text. */
export async function openMemberFile(uri: vscode.Uri): Promise<void> {
  if (/\.(pb\.gz|pprof|prof)$/.test(uri.path)) await vscode.commands.executeCommand('vscode.openWith', uri, PROFILE_VIEW_TYPE, { preview: false });
  else await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
}

export class MembersPanel {
  private static readonly open = new Map<string, MembersPanel>();
  readonly panel: vscode.WebviewPanel;
  private readonly source: MembersSource;
  private payload?: MembersPayload;
  private readonly output: vscode.LogOutputChannel;

  /** Shows the source's members view (revealing it when already open). */
  static show(extensionUri: vscode.Uri, source: MembersSource, output: vscode.LogOutputChannel): MembersPanel {
    const existing = MembersPanel.open.get(source.key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = new MembersPanel(extensionUri, source, output);
    MembersPanel.open.set(source.key, panel);
    return panel;
  }

  private constructor(extensionUri: vscode.Uri, source: MembersSource, output: vscode.LogOutputChannel) {
    this.source = source;
    this.output = output;
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel(MEMBERS_VIEW_TYPE, source.title, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [dist, media],
      retainContextWhenHidden: false,
    });
    const w = this.panel.webview;
    const nonce = makeNonce();
    w.html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(w.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(w.asWebviewUri(vscode.Uri.joinPath(media, 'members.css')).toString())}">
<title>${attr(source.title)}</title>
</head>
<body>
<div id="app" role="main"><p>Reading the members' profiles…</p></div>
<script nonce="${attr(nonce)}" src="${attr(w.asWebviewUri(vscode.Uri.joinPath(dist, 'members.js')).toString())}"></script>
</body>
</html>
`;
    this.panel.onDidDispose(() => MembersPanel.open.delete(source.key));
    w.onDidReceiveMessage((msg: FromMembers) => {
      this.handle(msg).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        output.error(`members view: ${message}`);
        void vscode.window.showErrorMessage(message);
      });
    });
  }

  private post(msg: ToMembers): void {
    void this.panel.webview.postMessage(msg);
  }

  private async handle(msg: FromMembers): Promise<void> {
    switch (msg.type) {
      case 'ready':
        try {
          this.payload ??= await this.source.payload();
          this.post(this.payload);
        } catch (err) {
          this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
        }
        break;
      case 'open':
      case 'openDocument': {
        // Only what the view lists opens.
        const id = msg.type === 'open' ? msg.id : msg.name;
        const listed = msg.type === 'open' ? this.payload?.members.some((m) => m.files.some((f) => f.id === id)) : this.payload?.documents.includes(id);
        const uri = listed ? this.source.uriOf(id) : undefined;
        if (uri) await openMemberFile(uri);
        break;
      }
      case 'compare':
        await this.compare(msg.item, msg.target, msg.base);
        break;
      default:
        this.output.warn(`members view: unknown message ${JSON.stringify(msg)}`);
    }
  }

  private fileOf(pod: string, item: string): vscode.Uri | undefined {
    const member = this.payload?.members.find((m) => m.pod === pod);
    const file = member?.files.find((f) => f.item === item);
    return file ? this.source.uriOf(file.id) : undefined;
  }

  /** Opens `target`'s profile of `item` in the profile viewer and diffs it against `base`'s. */
  async compare(item: string, target: string, base: string): Promise<void> {
    if (target === base) {
      void vscode.window.showInformationMessage('Pick two different members to compare.');
      return;
    }
    const t = this.fileOf(target, item);
    const b = this.fileOf(base, item);
    if (!t || !b) {
      void vscode.window.showWarningMessage(`No ${item} profile for ${!t ? target : base} in this view.`);
      return;
    }
    await vscode.commands.executeCommand('vscode.openWith', t, PROFILE_VIEW_TYPE, { preview: false });
    await vscode.commands.executeCommand(COMPARE_PROFILES_COMMAND, b, t);
  }
}
