// The Timeline panel: one webview per recording directory, fed by a live recorder (updated each round) or by a
// recording read back from disk. Its page (webview/timeline.ts) asks to open a capture or compare two; the
// panel resolves the file inside the recording directory only.
import path from 'node:path';
import * as vscode from 'vscode';
import { loadRecording } from '../../capture/recordingLoad.ts';
import type { Recorder } from '../../capture/recorder.ts';
import type { Finding } from '../../profile/findings.ts';
import { isSafeRelativePath, type RecordingHeader } from '../../profile/recordingIndex.ts';
import type { Timeline } from '../../profile/timeline.ts';
import { timelineModel } from '../../profile/timelineCharts.ts';
import type { FromTimelineWebview, TimelineModel } from '../../timelineProtocol.ts';
import { contentSecurityPolicy, makeNonce } from '../profilePanel/html.ts';
import { PROFILE_VIEW_TYPE } from '../profilePanel/profileEditor.ts';

export const TIMELINE_VIEW_TYPE = 'etcdProfiler.timeline';

export interface TimelineSource {
  dir: string;
  header: RecordingHeader;
  timeline: Timeline;
  findings: () => Finding[];
  /** Present while recording. */
  recorder?: Recorder;
}

export interface TimelineDeps {
  extensionUri: vscode.Uri;
  output: vscode.LogOutputChannel;
  /** Opens `current` in the profile viewer compared with `base`. */
  compareProfiles: (current: vscode.Uri, base: vscode.Uri) => Promise<void>;
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 24px; }
header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
h1 { font-size: 1.3em; margin: 12px 0 4px; } h2 { font-size: 1.1em; margin: 16px 0 6px; } h3 { font-size: 1em; margin: 0 0 4px; font-weight: 600; }
.subtitle, .muted { color: var(--vscode-descriptionForeground); }
button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: 1px solid var(--vscode-button-border, transparent); padding: 3px 10px; cursor: pointer; font: inherit; }
button:hover { background: var(--vscode-button-hoverBackground); }
button.link { background: none; color: var(--vscode-textLink-foreground); border: none; padding: 0; margin-top: 2px; }
button:focus-visible, .chart-box:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
.findings ul, .marks { list-style: none; padding: 0; margin: 0; }
.finding { border-left: 3px solid var(--vscode-editorWarning-foreground); padding: 4px 8px; margin: 4px 0; background: var(--vscode-textBlockQuote-background); }
.finding-kind { font-weight: 600; color: var(--vscode-editorWarning-foreground); }
.finding-pod { color: var(--vscode-descriptionForeground); }
.finding-what { font-family: var(--vscode-editor-font-family); }
.finding-detail { color: var(--vscode-descriptionForeground); font-size: 0.92em; margin-top: 2px; word-break: break-word; }
.marks li { font-size: 0.92em; margin: 2px 0; }
.marks .mark-failed { color: var(--vscode-errorForeground); }
.marks .mark-restarted, .marks .mark-replaced { color: var(--vscode-charts-orange); }
.marks .mark-triggered { color: var(--vscode-charts-purple); }
.marks .mark-file { margin-left: 4px; font-family: var(--vscode-editor-font-family); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
.chart-card { border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); padding: 8px; border-radius: 2px; }
.chart-box { cursor: crosshair; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: var(--vscode-editorLineNumber-foreground); stroke-opacity: 0.25; }
.chart .axis { fill: var(--vscode-descriptionForeground); font-size: 10px; }
.chart .series { fill: none; stroke-width: 1.6; }
.chart .cursor { stroke: var(--vscode-foreground); stroke-opacity: 0.5; }
.chart .selected { stroke: var(--vscode-focusBorder); stroke-width: 2; }
.chart .mark { stroke-width: 1.5; stroke-dasharray: 3 3; }
.chart .mark-failed { stroke: var(--vscode-errorForeground); }
.chart .mark-restarted, .chart .mark-replaced { stroke: var(--vscode-charts-orange); }
.chart .mark-triggered { stroke: var(--vscode-charts-purple); }
.chart .finding-span { fill: var(--vscode-editorWarning-foreground); fill-opacity: 0.08; }
.legend { display: flex; flex-wrap: wrap; gap: 10px; font-size: 0.9em; margin-bottom: 2px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; background: var(--c); }
.chart .series { stroke: var(--c); } .chart .dot { fill: var(--c); }
.c0 { --c: var(--vscode-charts-blue, #3794ff); } .c1 { --c: var(--vscode-charts-orange, #d18616); } .c2 { --c: var(--vscode-charts-green, #89d185); }
.c3 { --c: var(--vscode-charts-purple, #b180d7); } .c4 { --c: var(--vscode-charts-yellow, #cca700); } .c5 { --c: var(--vscode-charts-red, #f14c4c); }
.c6 { --c: var(--vscode-foreground, #cccccc); }
.tip { position: absolute; z-index: 10; pointer-events: none; background: var(--vscode-editorHoverWidget-background); color: var(--vscode-editorHoverWidget-foreground); border: 1px solid var(--vscode-editorHoverWidget-border); padding: 6px 8px; font-size: 0.92em; max-width: 420px; }
.tip-head { font-weight: 600; margin-bottom: 2px; } .tip-file { color: var(--vscode-descriptionForeground); margin-top: 2px; word-break: break-all; }
.status { min-height: 1.2em; color: var(--vscode-descriptionForeground); }
`;

function attr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class TimelinePanel {
  private static readonly open = new Map<string, TimelinePanel>();
  readonly panel: vscode.WebviewPanel;
  private source: TimelineSource;
  private readonly deps: TimelineDeps;
  private ready = false;

  /** Shows the panel of `source.dir` (one per recording), creating it when needed. */
  static show(source: TimelineSource, deps: TimelineDeps): TimelinePanel {
    const key = path.resolve(source.dir);
    const had = TimelinePanel.open.get(key);
    if (had) {
      had.source = source;
      had.panel.reveal();
      had.update();
      return had;
    }
    const p = new TimelinePanel(source, deps);
    TimelinePanel.open.set(key, p);
    p.panel.onDidDispose(() => TimelinePanel.open.delete(key));
    return p;
  }

  /** The open panel of a recording directory, if any. */
  static of(dir: string): TimelinePanel | undefined {
    return TimelinePanel.open.get(path.resolve(dir));
  }

  /** Reads a recording from disk and shows it. */
  static async openRecording(target: string, deps: TimelineDeps): Promise<TimelinePanel> {
    const loaded = await loadRecording(target);
    for (const u of loaded.unreadable) deps.output.warn(`Timeline of ${loaded.dir}: skipped ${u.file}: ${u.reason}`);
    return TimelinePanel.show({ dir: loaded.dir, header: loaded.index.header, timeline: loaded.timeline, findings: () => loaded.findings }, deps);
  }

  private constructor(source: TimelineSource, deps: TimelineDeps) {
    this.source = source;
    this.deps = deps;
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    this.panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, this.title(), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [dist],
      retainContextWhenHidden: false,
    });
    const nonce = makeNonce();
    const csp = contentSecurityPolicy(this.panel.webview.cspSource, nonce);
    const script = this.panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'timeline.js')).toString();
    this.panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${attr(nonce)}">${STYLE}</style>
<title>${attr(this.title())}</title></head>
<body><div id="app" role="main"><p>Loading timeline…</p></div>
<script nonce="${attr(nonce)}" src="${attr(script)}"></script></body></html>`;
    this.panel.webview.onDidReceiveMessage((msg: FromTimelineWebview) => {
      this.handle(msg).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        deps.output.error(`timeline: ${message}`);
        void vscode.window.showErrorMessage(message);
      });
    });
  }

  private title(): string {
    const h = this.source.header;
    return `Timeline: ${h.pods.length === 1 ? h.pods[0] : `${h.pods.length} pods in ${h.namespace}`}`;
  }

  model(): TimelineModel {
    const s = this.source;
    const live = !!s.recorder && !s.recorder.stopped && !s.recorder.done;
    return timelineModel(s.header, s.timeline, s.findings(), { title: this.title(), live, now: Date.now() });
  }

  /** Sends the current model (each round while recording, and when the page loads). */
  update(): void {
    this.panel.title = this.title();
    if (this.ready) void this.panel.webview.postMessage(this.model());
  }

  /** Swaps a finished live source for what is now on disk (same data; no recorder). */
  setSource(source: TimelineSource): void {
    this.source = source;
    this.update();
  }

  private file(rel: string): vscode.Uri {
    if (!isSafeRelativePath(rel)) throw new Error(`"${rel}" is not a capture of this recording.`);
    return vscode.Uri.file(path.join(this.source.dir, ...rel.split('/')));
  }

  private async handle(msg: FromTimelineWebview): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.update();
        break;
      case 'open': {
        const uri = this.file(msg.file);
        if (uri.fsPath.endsWith('.txt')) await vscode.window.showTextDocument(uri, { preview: false, viewColumn: vscode.ViewColumn.Beside });
        else await vscode.commands.executeCommand('vscode.openWith', uri, PROFILE_VIEW_TYPE, { viewColumn: vscode.ViewColumn.Beside, preview: false });
        break;
      }
      case 'compare': {
        const base = this.file(msg.base);
        const current = this.file(msg.current);
        if (current.fsPath.endsWith('.txt')) await vscode.commands.executeCommand('etcdProfiler.compareGoroutineDumps', current, base);
        else await this.deps.compareProfiles(current, base);
        break;
      }
      case 'stop':
        this.source.recorder?.stop();
        break;
      default:
        this.deps.output.warn(`timeline: unknown message ${JSON.stringify(msg)}`);
    }
  }
}
