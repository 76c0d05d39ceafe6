// The custom editor for *.pb.gz, *.pprof and *.prof: reads the file, asks the model (in the
// extension host) for the views' typed arrays, and answers the webview's requests.
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { ProfileError } from '../../profile/errors.ts';
import { prepareFilterMatchers, warmRegexWorker } from '../../profile/regexGuard.ts';
import type { FilterMatchers } from '../../profile/types.ts';
import { describeMessage, parseFromWebview, type CaptureInfo, type ToWebview, type ViewOptions } from '../../protocol.ts';
import { captureTitle } from '../../capture/save.ts';
import type { LineAnnotations } from '../lineAnnotations.ts';
import type { SourceLinks } from '../sourceLinks.ts';
import { listCaptureFiles } from '../captureFiles.ts';
import { baseCandidates } from './compareBases.ts';
import { makeNonce, panelHtml } from './html.ts';
import { buildView, captureInfoFromPath, defaultOptions, loadProfile, profileKind, sourceOf, type LoadedProfile, type BuiltView } from './model.ts';

export const PROFILE_VIEW_TYPE = 'etcdProfiler.profileViewer';

class ProfileDocument implements vscode.CustomDocument {
  readonly uri: vscode.Uri;
  readonly loaded: LoadedProfile | { error: string };

  constructor(uri: vscode.Uri, loaded: LoadedProfile | { error: string }) {
    this.uri = uri;
    this.loaded = loaded;
  }

  dispose(): void {}
}

export interface ProfileEditorDeps {
  sourceLinks: SourceLinks;
  annotations: LineAnnotations;
  output: vscode.LogOutputChannel;
  /** Folder captures are saved under: `<context>/<namespace>/<pod>/<file>` paths there describe the capture. */
  capturesRoot?: () => string | undefined;
  /** The node of a captured pod, if the cluster still knows it. */
  podNode?: (info: CaptureInfo) => Promise<string | undefined>;
}

/** One open profile editor. */
export class ProfileSession {
  options: ViewOptions;
  base?: { uri: vscode.Uri; loaded: LoadedProfile };
  view?: BuiltView;
  readonly doc: ProfileDocument;
  readonly panel: vscode.WebviewPanel;
  private readonly deps: ProfileEditorDeps;

  constructor(doc: ProfileDocument, panel: vscode.WebviewPanel, deps: ProfileEditorDeps) {
    this.doc = doc;
    this.panel = panel;
    this.deps = deps;
    this.options = 'error' in doc.loaded ? defaultOptionsFallback() : defaultOptions(doc.loaded);
  }

  private node?: Promise<string | undefined>;
  /** Counts sends, so a slow one (filters matching in the worker) does not overwrite a newer one. */
  private sending = 0;

  /** The captured pod's node, looked up once (at most a few seconds). */
  private captureNode(): Promise<string | undefined> {
    if (!this.node) {
      const info = captureInfoFromPath(this.doc.uri.fsPath, this.deps.capturesRoot?.());
      const lookup = info && this.deps.podNode ? this.deps.podNode(info).catch(() => undefined) : Promise.resolve(undefined);
      this.node = Promise.race([lookup, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
    }
    return this.node;
  }

  post(msg: ToWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  /** Rebuilds the views for the current options and base, and sends them. */
  async send(): Promise<void> {
    const ticket = ++this.sending;
    const node = await this.captureNode();
    const loaded = this.doc.loaded;
    if ('error' in loaded) {
      this.post({ type: 'error', message: loaded.error });
      return;
    }
    try {
      const t0 = performance.now();
      // The user's focus / ignore / hide run in a worker with a deadline: a runaway pattern is stopped with a
      // message instead of freezing the extension host.
      const warnings: string[] = [];
      let matchers: FilterMatchers | undefined;
      try {
        matchers = await prepareFilterMatchers(this.base ? [loaded.profile, this.base.loaded.profile] : [loaded.profile], this.options);
        if (ticket !== this.sending) return; // newer options arrived meanwhile: their send answers
      } catch (err) {
        if (ticket !== this.sending) return;
        if (!(err instanceof ProfileError) || err.kind !== 'bad-option') throw err;
        warnings.push(`${err.message[0].toUpperCase()}${err.message.slice(1)} The filters were not applied.`);
        this.options = { ...this.options, focus: '', ignore: '', hide: '' };
      }
      this.view = buildView(loaded, this.options, this.base?.loaded, {
        matchers,
        warnings,
        fileName: basename(this.doc.uri.fsPath),
        baseFileName: this.base ? basename(this.base.uri.fsPath) : undefined,
        capturesRoot: this.deps.capturesRoot?.(),
        path: this.doc.uri.fsPath,
        basePath: this.base?.uri.fsPath,
        node,
      });
      this.options = this.view.payload.options;
      this.deps.output.debug(`profile ${this.doc.uri.fsPath}: ${this.view.payload.flame.cum.length} nodes in ${(performance.now() - t0).toFixed(0)} ms`);
      this.post(this.view.payload);
      if (!this.base) this.deps.annotations.setProfile(this.doc.uri, loaded, this.options.sampleIndex);
    } catch (err) {
      this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * Asks for a base: the other captures of this kind in the captures folder (this pod's first, with times
   * and sizes), then "Browse…" for any file. Undefined when the user cancels.
   */
  private async pickBase(): Promise<vscode.Uri | undefined> {
    const loaded = this.doc.loaded;
    const self = this.doc.uri.fsPath;
    const root = this.deps.capturesRoot?.();
    const kind = 'error' in loaded ? '' : profileKind(loaded.profile, basename(self));
    const files = root ? await listCaptureFiles(root).catch(() => []) : [];
    const candidates = baseCandidates(self, kind, files, root);
    type Item = vscode.QuickPickItem & { path?: string; browse?: boolean };
    const items: Item[] = [];
    let group: boolean | undefined;
    for (const c of candidates) {
      if (c.samePod !== group) {
        group = c.samePod;
        items.push({ label: c.samePod ? 'Same pod' : 'Other pods', kind: vscode.QuickPickItemKind.Separator });
      }
      items.push({ label: c.fileName, description: c.description, path: c.path });
    }
    if (items.length) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: '$(folder-opened) Browse…', description: 'any profile file', browse: true });
    const pick = await vscode.window.showQuickPick(items, {
      title: `Compare ${basename(self)} with a base`,
      placeHolder: candidates.length ? `Other ${kind} captures, this pod's first, newest first: the base is subtracted from this profile` : `No other ${kind || 'profile'} captures in the captures folder: browse for a base`,
      matchOnDescription: true,
    });
    if (!pick) return undefined;
    if (pick.path) return vscode.Uri.file(pick.path);
    return (
      await vscode.window.showOpenDialog({
        title: `Compare ${basename(self)} with a base profile`,
        openLabel: 'Use as base',
        defaultUri: vscode.Uri.file(dirname(self)),
        filters: { Profiles: ['gz', 'pprof', 'prof'], 'All files': ['*'] },
        canSelectMany: false,
      })
    )?.[0];
  }

  async compare(baseUri?: vscode.Uri): Promise<void> {
    if ('error' in this.doc.loaded) return;
    const uri = baseUri ?? (await this.pickBase());
    if (!uri) return;
    if (uri.fsPath === this.doc.uri.fsPath) {
      void vscode.window.showInformationMessage('That is this profile: pick an earlier capture as the base.');
      return;
    }
    const loaded = await readProfile(uri);
    if ('error' in loaded) {
      void vscode.window.showErrorMessage(loaded.error);
      return;
    }
    const mine = this.doc.loaded.profile.sampleTypes.map((t) => t.type).join(',');
    const theirs = loaded.profile.sampleTypes.map((t) => t.type).join(',');
    if (mine !== theirs) {
      void vscode.window.showErrorMessage(
        `${basename(uri.fsPath)} is not the same kind of profile (sample types ${theirs || 'none'}; this one has ${mine}). Pick a profile of the same kind.`,
      );
      return;
    }
    this.base = { uri, loaded };
    this.panel.title = `${tabTitle(this.doc.uri)} − ${tabTitle(uri)}`;
    await this.send();
  }

  async clearCompare(): Promise<void> {
    this.base = undefined;
    this.panel.title = tabTitle(this.doc.uri);
    await this.send();
  }

  async openSource(frame: number): Promise<void> {
    const src = this.view ? sourceOf(this.view, frame) : undefined;
    if (!src) return;
    await this.deps.sourceLinks.open(src.file, src.line, src.name, this.doc.uri.fsPath);
  }

  /** Handles a message from the webview; anything that is not a well-formed FromWebview is dropped and logged. */
  async handle(raw: unknown): Promise<void> {
    const msg = parseFromWebview(raw);
    if (!msg) {
      this.deps.output.warn(`profile viewer: dropped a malformed message from the webview: ${describeMessage(raw)}`);
      return;
    }
    switch (msg.type) {
      case 'ready':
        // A webview that was hidden reloads; the views built before are still valid.
        if (this.view) this.post(this.view.payload);
        else await this.send();
        break;
      case 'setOptions':
        this.options = msg.options;
        this.post({ type: 'busy', busy: true });
        await this.send();
        break;
      case 'openSource':
        await this.openSource(msg.frame);
        break;
      case 'compare':
        await this.compare();
        break;
      case 'clearCompare':
        await this.clearCompare();
        break;
      case 'copyText':
        await vscode.env.clipboard.writeText(msg.text);
        vscode.window.setStatusBarMessage('Profile view copied as text', 3000);
        break;
      case 'exportSvg': {
        const target = await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.file(this.doc.uri.fsPath.replace(/(\.pb\.gz|\.pprof|\.prof)$/, '') + '.flame.svg'),
          filters: { SVG: ['svg'] },
        });
        if (target) {
          await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(msg.svg));
          vscode.window.setStatusBarMessage(`Flame graph saved to ${target.fsPath}`, 5000);
        }
        break;
      }
    }
  }
}

/** The tab title of a profile: `heap · etcd-master-0 · 09:07` for captures, else the file name. */
export function tabTitle(uri: vscode.Uri): string {
  return captureTitle(uri.fsPath) ?? basename(uri.fsPath);
}

function defaultOptionsFallback(): ViewOptions {
  return { sampleIndex: 0, granularity: 'functions', focus: '', ignore: '', hide: '' };
}

async function readProfile(uri: vscode.Uri): Promise<LoadedProfile | { error: string }> {
  try {
    const bytes = await vscode.workspace.fs.readFile(uri);
    return loadProfile(bytes, basename(uri.fsPath));
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

export class ProfileEditorProvider implements vscode.CustomReadonlyEditorProvider<ProfileDocument> {
  private readonly sessions = new Set<ProfileSession>();
  private activeSession?: ProfileSession;
  private readonly extensionUri: vscode.Uri;
  private readonly deps: ProfileEditorDeps;

  constructor(extensionUri: vscode.Uri, deps: ProfileEditorDeps) {
    this.extensionUri = extensionUri;
    this.deps = deps;
  }

  static setup(ctx: vscode.ExtensionContext, deps: ProfileEditorDeps): ProfileEditorProvider {
    const provider = new ProfileEditorProvider(ctx.extensionUri, deps);
    ctx.subscriptions.push(
      vscode.window.registerCustomEditorProvider(PROFILE_VIEW_TYPE, provider, {
        supportsMultipleEditorsPerDocument: true,
        webviewOptions: { enableFindWidget: false },
      }),
    );
    return provider;
  }

  /** The profile editor last focused, if it is still open. */
  get active(): ProfileSession | undefined {
    return this.activeSession && this.sessions.has(this.activeSession) ? this.activeSession : undefined;
  }

  /** The open editor of `uri` (the last one focused when there are several). */
  sessionFor(uri: vscode.Uri): ProfileSession | undefined {
    const key = uri.toString();
    if (this.active?.doc.uri.toString() === key) return this.active;
    return [...this.sessions].reverse().find((s) => s.doc.uri.toString() === key);
  }

  async openCustomDocument(uri: vscode.Uri): Promise<ProfileDocument> {
    return new ProfileDocument(uri, await readProfile(uri));
  }

  resolveCustomEditor(doc: ProfileDocument, panel: vscode.WebviewPanel): void {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'profile.css')).toString(),
      nonce: makeNonce(),
      title: tabTitle(doc.uri),
    });
    void warmRegexWorker(); // filters run in a worker with a deadline: have one ready before the first
    // Capture files are all named `<kind>-<UTC time>.pb.gz`: the tab says which pod and when instead.
    panel.title = tabTitle(doc.uri);
    const session = new ProfileSession(doc, panel, this.deps);
    this.sessions.add(session);
    this.activeSession = session;
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.activeSession = session;
    });
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      if (this.activeSession === session) this.activeSession = undefined;
    });
    panel.webview.onDidReceiveMessage((msg: unknown) => {
      session.handle(msg).catch((err) => this.deps.output.error(`profile viewer: ${err instanceof Error ? err.message : String(err)}`));
    });
  }
}
