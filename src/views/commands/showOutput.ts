import type { CommandFactory } from './index.ts';

export const showOutput: CommandFactory = (_ctx, pctx) => () => pctx.output.show(true);
