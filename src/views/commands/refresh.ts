import type { CommandFactory } from './index.ts';

/** Re-reads the kubeconfig, rediscovers the pods and relists the captures. */
export const refresh: CommandFactory = (_ctx, pctx) => () => {
  pctx.kube.reload();
  pctx.captures.refresh();
};
