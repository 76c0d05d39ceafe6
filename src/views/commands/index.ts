// The one command wrapper. Command factories live each in its own file as `(ctx, pctx) => callback`; extension.ts
// registers them through `createRegisterCommand`, the other views through `registerGuarded`. Both report a failing
// command (output channel and a message) instead of dropping the error, and refuse cluster commands in Restricted
// Mode with a message that says why and how to trust the folder.
import * as vscode from 'vscode';
import type { ProfilerContext } from '../profilerContext.ts';
import { explainRestrictedMode } from '../trust.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- command arguments come from menus, palette and other extensions
export type CommandCallback = (...args: any[]) => unknown;
export type CommandFactory = (ctx: vscode.ExtensionContext, pctx: ProfilerContext) => CommandCallback;

export interface GuardOptions {
  /** The command reads the kubeconfig or talks to a cluster: refused while the folder is not trusted. */
  cluster?: boolean;
}

/** Wraps `callback`: errors are logged and shown with *Show Output*; cluster commands wait for workspace trust. */
export function guardCommand(id: string, output: vscode.LogOutputChannel, callback: CommandCallback, options: GuardOptions = {}): CommandCallback {
  return async (...args: unknown[]) => {
    if (options.cluster && !vscode.workspace.isTrusted) {
      await explainRestrictedMode(output, id);
      return undefined;
    }
    try {
      return await callback(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      output.error(`${id}: ${message}`);
      void vscode.window.showErrorMessage(message, 'Show Output').then((choice) => {
        if (choice) output.show(true);
      });
      return undefined;
    }
  };
}

/** Registers a guarded command; the registration is disposed with the extension. */
export function registerGuarded(
  ctx: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  id: string,
  callback: CommandCallback,
  options?: GuardOptions,
): void {
  ctx.subscriptions.push(vscode.commands.registerCommand(id, guardCommand(id, output, callback, options)));
}

export type RegisterCommand = (id: string, factory: CommandFactory, options?: GuardOptions) => void;

export function createRegisterCommand(ctx: vscode.ExtensionContext, pctx: ProfilerContext): RegisterCommand {
  return (id, factory, options) => registerGuarded(ctx, pctx.output, id, factory(ctx, pctx), options);
}
