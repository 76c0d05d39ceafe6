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
  {
    // The layers that run under the CLI and plain Node tests must not import vscode.
    files: ['src/cluster/**', 'src/capture/**', 'src/profile/**', 'src/cli.ts', 'webview/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/views and src/extension.ts import vscode.' }] }],
    },
  },
);
