// Lint rules that guard the architecture: `broker` and `client` never import each other, and `protocol`
// imports nothing of ours (see docs/design.md).
import tseslint from 'typescript-eslint';

const forbid = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'test/peers/**/target/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/broker/**/*.ts'],
    rules: forbid(['**/client/**', 'seqlog/client', '**/testkit/**', 'seqlog/testkit'], 'the broker must not import the client or the testkit'),
  },
  {
    files: ['src/client/**/*.ts'],
    rules: forbid(['**/broker/**', 'seqlog/broker', '**/testkit/**', 'seqlog/testkit'], 'the client must not import the broker or the testkit'),
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: forbid(['**/broker/**', '**/client/**', '**/testkit/**', '**/cli/**'], 'the protocol imports nothing of ours'),
  },
);
