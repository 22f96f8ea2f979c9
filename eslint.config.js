// ESLint flat config (after Fastify's eslint.config.js): typescript-eslint's recommended rules plus the rules that
// keep the architecture's shape (docs/architecture.md): no import cycles, the layer rules, a size limit per file.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** `no-restricted-imports` patterns: a folder may not import these. */
const upper = (...folders) => folders.map((f) => `**/${f}/**`);

export default tseslint.config(
  { ignores: ['.worktrees/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The dashboard's own files run in the browser (plain ES modules, no build step).
  { files: ['src/dashboard/public/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Without these, import-x skips .ts dependencies and no-cycle sees nothing.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'max-lines': ['error', { max: 400 }],
      // XML and log sanitising match control characters on purpose.
      'no-control-regex': 'off',
      // The code base names unused parameters with a leading underscore (and drops them from destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Tests and a few adapters handle untyped JSON; `any` is spelled out where it is used.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Only the Baileys adapter talks to WhatsApp's library (tests of the adapter and the simulator may use it).
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'baileys', message: 'Only src/engine/baileys/ imports baileys.' }] },
      ],
    },
  },
  { files: ['src/engine/baileys/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    // The store is the bottom layer (with src/domain and src/lib): it imports no upper layer.
    files: ['src/store/**/*.ts', 'src/domain/**/*.ts', 'src/lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'baileys', message: 'Only src/engine/baileys/ imports baileys.' }],
          patterns: [
            {
              group: upper(
                'sessions',
                'engine',
                'http',
                'events',
                'webhooks',
                'messaging',
                'tenancy',
                'identity',
                'gateway',
                'metrics',
                'cli',
              ),
              message: 'store/, domain/ and lib/ import no upper layer (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine contract knows nothing of the services above it.
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/baileys/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'baileys', message: 'Only src/engine/baileys/ imports baileys.' }],
          patterns: [
            {
              group: upper('sessions', 'http', 'events', 'webhooks', 'messaging', 'tenancy', 'gateway', 'store'),
              message: 'The engine imports only domain/ and lib/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The simulator stands alone: it is WhatsApp's side, and shares no code with the gateway.
    files: ['sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../src/**', '../../src/**'], message: 'sim/ imports nothing from src/.' }] },
      ],
      // sim/ is maintained separately; its style findings are left to its owner.
      'prefer-const': 'warn',
    },
  },
);
