// Command factories: each command lives in its own file as `(ctx, pctx) => callback`; extension.ts registers
// them through `createRegisterCommand`, which also reports a failing command instead of dropping the error.
import * as vscode from 'vscode';
import type { ProfilerContext } from '../profilerContext.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- command arguments come from menus, palette and other extensions
export type CommandCallback = (...args: any[]) => unknown;
export type CommandFactory = (ctx: vscode.ExtensionContext, pctx: ProfilerContext) => CommandCallback;

export function createRegisterCommand(ctx: vscode.ExtensionContext, pctx: ProfilerContext) {
  return (id: string, factory: CommandFactory): void => {
    const callback = factory(ctx, pctx);
    ctx.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await callback(...args);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          pctx.output.error(`${id}: ${message}`);
          void vscode.window.showErrorMessage(message, 'Show Output').then((choice) => {
            if (choice) pctx.output.show(true);
          });
          return undefined;
        }
      }),
    );
  };
}
