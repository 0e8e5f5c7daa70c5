// Lint rules from ../shared/STYLE.md item 19: typescript-eslint type-checked rules (floating
// promises, exhaustive switches), node: imports, no process.exit outside the CLI.
import tseslint from 'typescript-eslint';
import n from 'eslint-plugin-n';

// ---- Layers: imports run one way (docs/adr/0008-layers-and-imports.md) --------------------------
// Data flows top to bottom; a folder may import its own files and anything in a lower row, never
// a higher one. Leaf modules (src/errors/, src/log.ts, src/private-file.ts, src/testing/, and the
// `types.ts` files named below) import nothing of the project, so anyone may import them.
//
//   cli/                                      the user's commands: may import anything
//   client/, keys/, maintenance/, console/    tools beside the server (client/keys never import it)
//   server/                                   HTTP and the request pipeline
//   kms/index.ts                              joins the KMS API to the built-in KMS (ServedKms)
//   s3/, kms/api/                             operations; s3/ may use the pipeline's contract only:
//                                             server/{context,requester,authorize,error-response,
//                                             xml,xml-request}.ts
//   auth/, checksum/, policy/                 used by the pipeline and the operations
//   crypto/, kms/builtin/                     encryption (kms/builtin/ may use crypto/, not back)
//   store/                                    metadata and blob stores
//   config.ts                                 read by everyone as a type; imports leaves and store/
//   errors/, log.ts, private-file.ts, testing/, kms/types.ts, checksum/types.ts, auth/types.ts
//
// Each rule lists what a folder may NOT import, matched on the relative specifier after any
// number of `../` (no folder under src/ shares a name with a top-level one). A file must match
// exactly one block below: a later no-restricted-imports block would replace, not extend, an
// earlier one. test/layers/import-cycles.test.ts keeps src/ free of cycles, type-only ones too.
const up = (target) => `^(\\.\\./)+${target}`;
const FOLDER = {
  server: up('server/'),
  s3: up('s3/'),
  kms: up('kms/'),
  kmsApi: up('(kms/)?api/'),
  kmsBuiltin: up('(kms/)?builtin/'),
  kmsIndex: up('(kms/)?index\\.js$'),
  kmsButTypes: up('kms/(?!types\\.js$)'),
  crypto: up('crypto/'),
  auth: up('auth/'),
  authButTypes: up('auth/(?!types\\.js$)'),
  checksum: up('checksum/'),
  checksumButTypes: up('checksum/(?!types\\.js$)'),
  policy: up('policy/'),
  store: up('store/'),
  cli: up('cli/'),
  client: up('client/'),
  console: up('console/'),
  keys: up('keys/'),
  maintenance: up('maintenance/'),
  config: up('config\\.js$'),
  // s3/ may use the pipeline's contract: the request context, the requester, authorizing a
  // second resource (copy source, each key of DeleteObjects), mapping a per-key error, and XML.
  serverButContract: up('server/(?!(context|requester|authorize|error-response|xml|xml-request)\\.js$)'),
};
const TOOLS = ['cli', 'client', 'console', 'keys', 'maintenance'];
const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((name) => ({
          regex: FOLDER[name] ?? name,
          message: `${why} (docs/adr/0008-layers-and-imports.md).`,
        })),
      },
    ],
  },
});
const ANY_PROJECT_FILE = '^\\.';
const OUTSIDE_FOLDER = '^\\.\\./';
const layerRules = [
  layer(['src/errors/**/*.ts', 'src/testing/**/*.ts'], [OUTSIDE_FOLDER], 'A leaf folder imports nothing else of the project'),
  layer(['src/log.ts', 'src/private-file.ts', 'src/kms/types.ts'], [ANY_PROJECT_FILE], 'A leaf module imports nothing of the project'),
  layer(['src/config.ts'], ['server', 's3', 'kms', 'crypto', 'auth', 'policy', 'checksum', ...TOOLS], 'config.ts sits below the layers that read it'),
  layer(
    ['src/store/**/*.ts'],
    ['server', 's3', 'kms', 'crypto', 'auth', 'policy', 'checksumButTypes', 'config', ...TOOLS],
    'Stores are the lowest layer: they take their own options and import only leaf modules',
  ),
  layer(
    ['src/crypto/**/*.ts'],
    ['server', 's3', 'kmsButTypes', 'auth', 'policy', 'checksumButTypes', 'config', ...TOOLS],
    'Encryption imports only stores and leaf modules (the KMS through kms/types.ts)',
  ),
  layer(
    ['src/kms/builtin/**/*.ts'],
    ['server', 's3', 'kmsApi', 'kmsIndex', 'auth', 'policy', 'checksumButTypes', 'config', ...TOOLS],
    'The built-in KMS sits in the encryption layer, below its API',
  ),
  layer(
    ['src/auth/**/*.ts', 'src/checksum/**/*.ts', 'src/policy/**/*.ts'],
    ['server', 's3', 'kms', 'crypto', 'config', ...TOOLS],
    'auth/, checksum/ and policy/ are used by the pipeline and the operations, never the other way',
  ),
  layer(
    ['src/s3/**/*.ts'],
    ['serverButContract', 'kmsApi', 'kmsBuiltin', 'kmsIndex', ...TOOLS],
    'Operations import the pipeline only through its contract, and the KMS only through kms/types.ts',
  ),
  layer(['src/kms/api/**/*.ts'], ['server', 's3', 'kmsIndex', ...TOOLS], 'The KMS API is an operation, below the pipeline'),
  layer(['src/kms/index.ts'], ['server', 's3', ...TOOLS], 'The KMS sits below the server'),
  layer(['src/server/**/*.ts'], ['cli', 'client', 'keys', 'maintenance'], 'The server never imports the command-line tools'),
  layer(['src/console/**/*.ts'], ['cli', 'client', 'keys', 'maintenance'], 'The console server never imports the command-line tools'),
  layer(['src/maintenance/**/*.ts'], ['server', 's3', 'kmsApi', 'kmsIndex', 'cli', 'client', 'console', 'keys'], 'Maintenance jobs work on the stores and keys, not through the server'),
  layer(
    ['src/client/**/*.ts', 'src/keys/**/*.ts'],
    ['server', 's3', 'kms', 'store', 'auth', 'policy', 'config', 'cli', 'console', 'maintenance'],
    'Client tools talk to a server over S3, never import it',
  ),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { n },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Handlers are async by contract (Handler returns a Promise) even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'n/prefer-node-protocol': 'error',
      'n/no-process-exit': 'error',
    },
  },
  { files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'], rules: { 'n/no-process-exit': 'off' } },
  {
    // Tests and benchmarks poke at untyped JSON and XML on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  ...layerRules,
);
