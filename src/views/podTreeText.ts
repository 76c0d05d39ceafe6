// Text of pod rows that needs no VS Code host (unit-tested): restarts and the last container termination.
import type { PodInfo } from '../cluster/pods.ts';

/** `30s ago`, `3m ago`, `2h ago`, `5d ago`; '' without a time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** A pod that restarted or has a container that ended: `↻ 2, Error exit 2 3m ago`; undefined otherwise. */
export function restartText(p: Pick<PodInfo, 'restarts' | 'lastTermination'>, now = Date.now()): string | undefined {
  const t = p.lastTermination;
  if (!p.restarts && !t) return undefined;
  const parts = [`↻ ${p.restarts}`];
  if (t) parts.push(`${t.reason} exit ${t.exitCode}${t.finishedAt ? ` ${ago(t.finishedAt, now)}` : ''}`);
  return parts.join(', ');
}
