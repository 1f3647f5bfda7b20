import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Lint, including the layering rules (after VS Code's code-layering): folder names decide what a file
 * may import.
 *   electron/core      plain Node: never 'electron', never a shell, the API binding or the UI
 *   electron/api       the contract: zod only; shared with the renderer
 *   electron/headless  plain-Node shell: never 'electron'
 *   electron/preload   'electron' and the channel names only
 *   renderer           the contract and browser code only: no Node built-ins, no core, no 'electron'
 */
const restrict = (patterns, paths = []) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});
const noElectron = [{ name: 'electron', message: 'this layer runs without Electron; plug OS facilities in through a port' }];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.tmp/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'message text is never rendered as HTML' },
      ],
    },
  },
  {
    files: ['electron/core/**'],
    rules: restrict(
      [
        { group: ['electron', 'electron/*'], message: 'electron/core runs under plain Node: no Electron imports' },
        { group: ['**/main/**', '**/preload/**', '**/headless/**', '**/renderer/**'], message: 'the core must not depend on a shell or the UI' },
      ],
      noElectron,
    ),
  },
  {
    files: ['electron/api/**'],
    rules: restrict([{ group: ['node:*', '**/core/**', '**/main/**', '**/headless/**', '**/renderer/**'], message: 'the contract depends on zod only' }], noElectron),
  },
  {
    files: ['electron/headless/**'],
    rules: restrict([{ group: ['electron', 'electron/*', '**/main/**', '**/renderer/**'], message: 'the headless shell runs without Electron' }], noElectron),
  },
  {
    files: ['electron/preload/**'],
    rules: restrict([{ group: ['**/core/**', '**/headless/**', '**/renderer/**', 'zod', '**/api/contract*'], message: 'the sandboxed preload exposes the transport only' }]),
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      [{ group: ['node:*', '**/core/**', '**/main/**', '**/headless/**', '**/preload/**'], message: 'the UI reaches the core only through electron/api' }],
      noElectron,
    ),
  },
);
