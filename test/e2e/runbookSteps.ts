// The runbook's steps, run by the e2e tests to make their inputs the way a user would by hand: kubectl against
// the sandbox, and `kubectl port-forward` to the operator's pprof port with fetch as curl.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { sandboxDir } from './harness.ts';

const OPERATOR_NS = 'openshift-etcd-operator';
const env = () => ({ ...process.env, KUBECONFIG: join(sandboxDir, 'kubeconfig') });

/** Runs kubectl against the sandbox; rejects with its stderr. */
export function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', args, { env: env() });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err}`))));
  });
}

/**
 * `kubectl port-forward` to the operator pod's pprof port (6060); `use` gets the pod's name and the local base
 * URL of /debug/pprof. The forward ends when `use` settles.
 */
export async function withOperatorForward<T>(use: (pod: string, pprof: string) => Promise<T>): Promise<T> {
  const pod = (await kubectl(['get', 'pods', '-n', OPERATOR_NS, '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  assert.ok(pod, 'the sandbox runs an operator pod');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const pf = spawn('kubectl', ['port-forward', '-n', OPERATOR_NS, `pod/${pod}`, `${port}:6060`], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('port-forward did not start')), 30_000);
      pf.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('Forwarding from')) {
          clearTimeout(t);
          resolve();
        }
      });
      pf.on('exit', () => reject(new Error('port-forward exited')));
    });
    return await use(pod, `http://127.0.0.1:${port}/debug/pprof`);
  } finally {
    pf.kill('SIGTERM');
  }
}
