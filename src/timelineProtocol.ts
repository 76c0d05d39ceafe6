// Messages between the Timeline panel's host (src/views/timeline) and its webview (webview/timeline.ts).
// Type-only for the webview. The page gets the whole model on every change (a few thousand points).

export interface ChartPoint {
  /** ms since the epoch */
  t: number;
  v: number;
  /** The capture behind the point, relative to the recording directory. */
  file: string;
  round: number;
}

export interface ChartLine {
  name: string;
  points: ChartPoint[];
}

export type ChartUnit = 'count' | 'bytes' | 'bytes/s' | 'objects/s' | 'share' | 'seconds';

export interface Chart {
  id: string;
  title: string;
  unit: ChartUnit;
  /** The capture kind of its points: two points of one kind can be compared. `metrics`: etcd's /metrics, no capture behind a point. */
  kind: 'goroutine' | 'heap' | 'allocs' | 'cpu' | 'metrics';
  lines: ChartLine[];
}

export interface ChartMark {
  t: number;
  round: number;
  kind: 'failed' | 'restarted' | 'replaced' | 'triggered';
  text: string;
  /** Captures behind the mark (a trigger's dump and heap profile), relative to the recording directory. */
  files?: string[];
}

export interface PodCharts {
  pod: string;
  charts: Chart[];
  marks: ChartMark[];
}

export interface FindingView {
  id: string;
  kind: 'goroutine-leak' | 'heap-leak';
  pod: string;
  what: string;
  detail: string;
  files?: [string, string];
  /** ms since the epoch: where the finding's span starts and ends. */
  from: number;
  to: number;
}

export interface TimelineModel {
  type: 'timeline';
  title: string;
  /** e.g. `recording · 12 rounds · every 30 s` */
  subtitle: string;
  live: boolean;
  start: number;
  end: number;
  pods: PodCharts[];
  findings: FindingView[];
}

export type ToTimelineWebview = TimelineModel;

export type FromTimelineWebview =
  | { type: 'ready' }
  | { type: 'open'; file: string }
  | { type: 'compare'; base: string; current: string }
  | { type: 'stop' };
