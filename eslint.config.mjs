import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/sandbox/**', 'test-results/**', '.sandbox/**', '.profiles/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain Node scripts (build, config) are not type-checked: declare the Node globals they use.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // The layer rule: data flows cluster → capture → profile → views, and only src/views and src/extension.ts import
  // vscode. src/profile is the pure model every layer may call (capture hands it the bytes it fetched: imports
  // point views → capture → cluster, and anything → profile); no folder imports a layer that comes after it, and
  // profile imports none (webview/: only the message types). src/source (finding and fetching Go source, Node
  // only) sits beside them: views and the CLI call it, it calls profile, and cluster, capture and profile never call it.
  ...layerRules([
    { files: ['src/cluster/**'], forbid: ['capture', 'profile', 'source', 'views', 'extension', 'cli', 'protocol'] },
    { files: ['src/capture/**'], forbid: ['source', 'views', 'extension', 'cli', 'protocol'] },
    { files: ['src/profile/**'], forbid: ['cluster', 'capture', 'source', 'views', 'extension', 'cli', 'protocol'] },
    { files: ['src/source/**'], forbid: ['cluster', 'capture', 'views', 'extension', 'cli', 'protocol'] },
    { files: ['src/cli.ts', 'src/protocol.ts'], forbid: ['views', 'extension'] },
    { files: ['src/views/**'], forbid: ['extension', 'cli'] },
    { files: ['webview/**'], forbid: ['cluster', 'capture', 'profile', 'source', 'views', 'extension', 'cli'], viaSrc: true },
  ]),
);

/** One no-restricted-imports rule per folder: `vscode` (except in views) and the folders named in `forbid`. */
function layerRules(layers) {
  return layers.map(({ files, forbid, viaSrc }) => {
    const vscode = files.some((f) => f.startsWith('src/views')) ? [] : [{ name: 'vscode', message: 'Only src/views and src/extension.ts import vscode.' }];
    return {
      files,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: vscode,
            patterns: forbid.map((layer) => ({
              regex: `^(\\.\\./)+${viaSrc ? 'src/' : ''}${layer}(/|\\.ts$)`,
              message: `Against the layer flow cluster → capture → profile → views: ${files.join(', ')} must not import ${layer}.`,
            })),
          },
        ],
      },
    };
  });
}
