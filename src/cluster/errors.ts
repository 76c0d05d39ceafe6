// Turns failures from the Kubernetes API (REST calls and WebSocket upgrades) into messages that say
// what is missing and what to do. Raw response bodies are never copied into messages: a failed read of
// a Secret must not be able to echo anything back.

export type ClusterErrorCode =
  | 'forbidden'
  | 'unauthorized'
  | 'not-found'
  | 'pod-not-running'
  | 'unreachable'
  | 'bad-request'
  | 'connection-dropped'
  | 'failed';

/** What was being attempted, so a 403 can name the verb and resource that RBAC is missing. */
export interface ClusterAction {
  verb: string;
  /** e.g. `pods/portforward`, `secrets`, `pods/exec`. */
  resource: string;
  namespace?: string;
  /** Object name, for 404 messages. */
  name?: string;
}

export class ClusterError extends Error {
  readonly code: ClusterErrorCode;
  readonly status?: number;
  readonly action?: ClusterAction;
  /** The root cause in a few words for a view's title, e.g. `connect ECONNREFUSED 127.0.0.1:6443` or `401 Unauthorized`. */
  readonly detail: string;
  constructor(code: ClusterErrorCode, message: string, status?: number, action?: ClusterAction, detail?: string) {
    super(message);
    this.name = 'ClusterError';
    this.code = code;
    this.status = status;
    this.action = action;
    this.detail = detail ?? message;
  }
}

/** HTTP status of an error from client-node: ApiException.code, or a WebSocket upgrade refusal. */
export function httpStatusOf(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; error?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  // `ws` rejects a refused upgrade with "Unexpected server response: 403"; client-node hands us the
  // ErrorEvent, whose `.error` is that Error.
  const text = `${typeof e.message === 'string' ? e.message : ''} ${e.error instanceof Error ? e.error.message : ''}`;
  const m = /Unexpected server response: (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** `reason`/`message` of a Kubernetes Status body, when the body is one. */
function statusMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | undefined)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (parsed && typeof parsed === 'object' && (parsed as { kind?: unknown }).kind === 'Status') {
    const msg = (parsed as { message?: unknown }).message;
    return typeof msg === 'string' ? msg : undefined;
  }
  return undefined;
}

function where(action: ClusterAction): string {
  return action.namespace ? ` in ${action.namespace}` : '';
}

/** The one-line explanation of a 403 for an action: `missing "create pods/portforward" in openshift-etcd`. */
export function forbiddenMessage(action: ClusterAction): string {
  const fix =
    action.resource === 'pods/portforward'
      ? ' Ask for a Role with it, or capture by exec instead (runs curl inside the container).'
      : action.resource === 'secrets'
        ? ' Falling back to reading the files inside the container needs "create pods/exec".'
        : ' Ask your cluster admin for a Role granting it.';
  return `Forbidden (403): your user is missing \`${action.verb} ${action.resource}\`${where(action)}.${fix}`;
}

export function unauthorizedMessage(): string {
  return 'Unauthorized (401): the cluster rejected the kubeconfig credentials. Log in again (`oc login`) or refresh the token, then retry.';
}

/** Wraps any error from a cluster call into a ClusterError with an actionable message. */
export function toClusterError(err: unknown, action: ClusterAction): ClusterError {
  if (err instanceof ClusterError) return err;
  const status = httpStatusOf(err);
  const detail = statusMessage(err);
  if (status === 403) return new ClusterError('forbidden', forbiddenMessage(action), status, action);
  if (status === 401) return new ClusterError('unauthorized', unauthorizedMessage(), status, action);
  if (status === 404) {
    const what = action.name ? `${action.resource.split('/')[0]} ${action.name}` : action.resource;
    return new ClusterError('not-found', `Not found (404): ${what}${where(action)} does not exist (any more?). Refresh and retry.`, status, action);
  }
  if (status === 400 && detail && /not running|container not found|pod does not exist|is waiting/i.test(detail)) {
    return new ClusterError('pod-not-running', `Pod is not running: ${detail}`, status, action);
  }
  if (status !== undefined) {
    return new ClusterError(
      status === 400 ? 'bad-request' : 'failed',
      `The API server answered ${status} to \`${action.verb} ${action.resource}\`${where(action)}${detail ? `: ${detail}` : '.'}`,
      status,
      action,
    );
  }
  // undici (client-node's fetch) wraps the socket error: `fetch failed` with the errno code on a cause.
  let code: unknown;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5 && typeof code !== 'string'; e = (e as { cause?: unknown }).cause, depth++) {
    code = (e as { code?: unknown }).code;
  }
  if (typeof code === 'string' && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|UND_ERR_SOCKET|EPIPE/.test(code)) {
    return new ClusterError('unreachable', `Cannot reach the API server (${code}). Check the kubeconfig's server URL, VPN and network.`, undefined, action);
  }
  const text = err instanceof Error ? err.message : (err as { message?: unknown })?.message;
  return new ClusterError('failed', `\`${action.verb} ${action.resource}\`${where(action)} failed: ${typeof text === 'string' ? text : String(err)}`, undefined, action);
}

/** Errno-style code of a network failure (undici wraps it as `fetch failed` with a cause chain). */
function networkCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * The messages of a failure without an HTTP status (socket, TLS, exec auth plugin), outermost first. Only called
 * when there is no status, so it never reads an ApiException (whose message embeds the response body).
 */
function causeMessages(err: unknown): string[] {
  const parts: string[] = [];
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (httpStatusOf(e) !== undefined) break;
    const m = e instanceof Error ? e.message : typeof e === 'string' ? e : undefined;
    if (m && !parts.includes(m)) parts.push(m.length > 300 ? `${m.slice(0, 300)}…` : m);
    if (typeof e !== 'object') break;
  }
  return parts;
}

/**
 * Failures that make a whole context unusable (rejected credentials, API server out of reach) as a ClusterError
 * with code `unauthorized` or `unreachable`; undefined for failures limited to one request (403, 404, …).
 */
export function contextErrorOf(err: unknown, context: string, server?: string): ClusterError | undefined {
  if (err instanceof ClusterError) return err.code === 'unauthorized' || err.code === 'unreachable' ? err : undefined;
  const status = httpStatusOf(err);
  if (status === 401) {
    return new ClusterError(
      'unauthorized',
      `The cluster of context "${context}" rejected the credentials (401). Log in again (oc login) or refresh the token.`,
      status,
      undefined,
      '401 Unauthorized',
    );
  }
  if (status !== undefined) return undefined;
  const code = networkCode(err);
  const parts = causeMessages(err);
  const text = parts.join(': ') || 'unknown error';
  const at = server ? ` at ${server}` : '';
  return new ClusterError(
    'unreachable',
    `Cannot reach the API server of context "${context}"${at}: ${code && !text.includes(code) ? `${code}, ` : ''}${text}`,
    undefined,
    undefined,
    parts.at(-1) ?? code ?? text,
  );
}
