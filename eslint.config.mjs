import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.conveyor', '**/coverage', 'tmp'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            // The broker launcher and the OCR maths stand alone: nothing of ours below them.
            { sourceTag: 'scope:kafka-local', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:ocr', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: [] },
            // Pipeline definitions are data: the definition types, and the generic contracts for each pipeline's own schemas.
            { sourceTag: 'scope:pipeline', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:pipelines', onlyDependOnLibsWithTags: ['scope:pipeline', 'scope:contracts'] },
            // The generic runtime knows no pipeline (its tests use the broker and test helpers); the stage host composes it with the definitions.
            { sourceTag: 'scope:stage-runtime', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:config', 'scope:testing', 'scope:kafka-local'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:kafka-local', 'scope:config', 'scope:contracts'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
