// Messages between the profile panel's host (src/views/profilePanel) and its webview (webview/).
// Type-only: the webview imports it with `import type`. Large data travels as typed arrays,
// which postMessage transfers without turning them into JSON trees.
import type { FlameData, FrameTable, Granularity, TopData } from './profile/types.ts';

export type { FlameData, FrameTable, Granularity, TopData };

export interface ViewOptions {
  /** Index into `ProfileHeader.sampleTypes`. */
  sampleIndex: number;
  granularity: Granularity;
  /** Regular expressions, empty when unset (pprof's -focus, -ignore, -hide). */
  focus: string;
  ignore: string;
  hide: string;
}

export interface CaptureInfo {
  context?: string;
  namespace?: string;
  pod?: string;
  node?: string;
  container?: string;
}

export interface ProfileHeader {
  fileName: string;
  /** cpu, heap, allocs, goroutine, block, mutex … as far as the file tells. */
  kind: string;
  sampleTypes: { type: string; unit: string }[];
  /** Unit of the selected sample type. */
  unit: string;
  /** Sum of the selected sample type over all samples (after filters). */
  total: number;
  durationNanos: number;
  timeNanos: number;
  capture?: CaptureInfo;
  /** Set when the view is a comparison: the base's file name. */
  baseFileName?: string;
}

export interface ProfilePayload {
  type: 'profile';
  header: ProfileHeader;
  options: ViewOptions;
  frames: FrameTable;
  flame: FlameData;
  top: TopData;
  /** Non-fatal problems, e.g. an invalid filter expression. */
  warnings: string[];
}

export type ToWebview =
  | ProfilePayload
  | { type: 'error'; message: string }
  | { type: 'busy'; busy: boolean };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'setOptions'; options: ViewOptions }
  /** Open the source of a frame (index into `FrameTable`). */
  | { type: 'openSource'; frame: number }
  | { type: 'compare' }
  | { type: 'clearCompare' }
  | { type: 'copyText'; text: string }
  | { type: 'exportSvg'; svg: string };
