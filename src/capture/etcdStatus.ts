// An etcd member's view of itself: POST /v3/maintenance/status on its client port, over the same mutual TLS as a
// capture (this is the grpc-gateway etcd serves on 2379; no other gateway is involved). Leader, member ID, raft
// index and term, db size.
import { parseEndpointStatus, type BundleEtcdMember } from './bundleManifest.ts';
import { requestFromPod, type PodRequestOptions } from './podRequest.ts';
import { CaptureError } from './validate.ts';

export const ENDPOINT_STATUS_PATH = '/v3/maintenance/status';

export async function fetchEndpointStatus(o: PodRequestOptions): Promise<{ json: Buffer; status: Omit<BundleEtcdMember, 'version' | 'clusterVersion'> }> {
  const answer = await requestFromPod({ ...o, postJson: '{}' }, ENDPOINT_STATUS_PATH);
  if (answer.status !== 200) {
    throw new CaptureError('http-error', `${ENDPOINT_STATUS_PATH} answered ${answer.status}: ${answer.body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim()}`);
  }
  return { json: answer.body, status: parseEndpointStatus(answer.body.toString('utf8')) };
}
