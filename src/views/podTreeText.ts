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

/** `Running 4/4`, `Running, not ready 2/4`, or the phase. */
export function statusText(p: Pick<PodInfo, 'phase' | 'ready' | 'readyContainers' | 'containers'>): string {
  if (p.phase !== 'Running') return p.phase;
  const ready = `${p.readyContainers}/${p.containers.length}`;
  return p.ready ? `Running ${ready}` : `Running, not ready ${ready}`;
}

/**
 * A pod row's description and accessible label. The row stays short enough for the default side bar width: a pod
 * running with every container ready says so by its green icon alone (an operator pod's name takes most of a
 * 300 px side bar); otherwise its status first, then markers (a capture running, restarts, forwards). The
 * accessible label always says the status.
 */
export function podRowText(
  p: Pick<PodInfo, 'name' | 'phase' | 'ready' | 'readyContainers' | 'containers' | 'restarts' | 'lastTermination'>,
  capturing: string | undefined,
  markers: string[],
  now = Date.now(),
): { description: string; label: string } {
  const healthy = p.phase === 'Running' && p.ready && p.readyContainers === p.containers.length;
  const description = [capturing ? `● ${capturing}` : healthy ? undefined : statusText(p), restartText(p, now), ...markers].filter(Boolean).join(' · ');
  return { description, label: [p.name, statusText(p), description].filter(Boolean).join(', ') };
}
