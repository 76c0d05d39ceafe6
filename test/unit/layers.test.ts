// The layer rule is enforced by lint (eslint.config.mjs): an import against cluster → capture → profile → views
// fails `npm run lint`, and so does vscode outside src/views and src/extension.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('imports against the flow are lint errors', async () => {
  assert.match((await restricted('src/cluster/x.ts', "import { CAPTURE_KINDS } from '../capture/kinds.ts';\nexport const k = CAPTURE_KINDS;\n"))[0], /src\/cluster\/\*\* must not import capture/);
  assert.match((await restricted('src/profile/x.ts', "import { CAPTURE_KINDS } from '../capture/kinds.ts';\nexport const k = CAPTURE_KINDS;\n"))[0], /must not import capture/);
  assert.match((await restricted('src/capture/x.ts', "import { getConfig } from '../views/config.ts';\nexport const g = getConfig;\n"))[0], /must not import views/);
  assert.match((await restricted('src/profile/x.ts', "import { getConfig } from '../views/config.ts';\nexport const g = getConfig;\n"))[0], /must not import views/);
  assert.match((await restricted('src/profile/x.ts', "import { ClusterError } from '../cluster/errors.ts';\nexport const e = ClusterError;\n"))[0], /must not import cluster/);
  assert.match((await restricted('src/capture/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"))[0], /Only src\/views and src\/extension\.ts import vscode/);
  assert.match((await restricted('webview/x.ts', "import { decodeProfile } from '../src/profile/decode.ts';\nexport const d = decodeProfile;\n"))[0], /webview\/\*\* must not import profile/);
});

test('imports along the flow pass', async () => {
  assert.deepEqual(await restricted('src/capture/x.ts', "import { ClusterError } from '../cluster/errors.ts';\nexport const e = ClusterError;\n"), []);
  assert.deepEqual(await restricted('src/capture/x.ts', "import { decodeProfile } from '../profile/decode.ts';\nexport const d = decodeProfile;\n"), []);
  assert.deepEqual(await restricted('src/views/x.ts', "import * as vscode from 'vscode';\nimport { decodeProfile } from '../profile/decode.ts';\nexport const d = [vscode, decodeProfile];\n"), []);
  assert.deepEqual(await restricted('webview/x.ts', "import type { ToWebview } from '../src/protocol.ts';\nexport type T = ToWebview;\n"), []);
});
