import { cdk8s, javascript, release, ReleasableCommits } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-bound-tokens',
  packageName: 'cdk8s-bound-tokens',
  description:
    'cdk8s constructs for Kubernetes and OpenShift bound service account tokens, validated at synth time',
  author: 'cdk8s-bound-tokens maintainers',
  authorAddress: 'maintainers@cdk8s-bound-tokens.invalid',
  repositoryUrl: 'https://github.com/cdk8s-bound-tokens/cdk8s-bound-tokens.git',
  keywords: ['cdk8s', 'kubernetes', 'openshift', 'service-account', 'bound-token', 'projected-volume'],
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',

  // cdk8s 2.x and constructs 10.x, explicitly (projen defaults to cdk8s 1.x).
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.3.0',
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',
  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  devDeps: [
    'cdk8s-plus-27@2.9.5',
    // the other cdk8s-plus lines the library must accept (issue 11): tests only
    'cdk8s-plus-32@2.5.92',
    'cdk8s-plus-33@2.5.57',
    'cdk8s-plus-34@2.0.54',
    'kubernetes-models@4.5.1',
    '@kubernetes-models/base@^4',
    'fast-check@^3.23.0',
    'ajv@^8.17.0',
    'cdk8s-cli@^2.200.0',
    '@bufbuild/cel@0.6.1',
    '@types/js-yaml@^4.0.9',
  ],
  // Runtime dependencies that are not jsii modules must be bundled.
  bundledDeps: ['yaml@^2.6.0', 'js-yaml@^4.1.0'],
  bin: { 'cdk8s-bound-tokens': 'lib/cli/main.js' },

  // The dev tsconfig lives at the top, where users of cdk8s libraries expect it.
  tsconfigDevFile: 'tsconfig.dev.json',
  // eslint must see the tests, examples and scripts: pin it to the dev tsconfig.
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'scripts'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },
  tsconfigDev: {
    include: ['examples/**/*.ts', 'scripts/**/*.ts', '.projenrc.ts'],
    compilerOptions: {},
  },

  // Snapshots must fail on change: `npx projen test:update` rewrites them on purpose.
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 120_000,
      // The real-API-server suites start a kube-apiserver each: they run in
      // `test:apiserver` (and in .ci/run), not in the quick unit loop.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/apiserver/'],
    },
  },

  // jsii names in the other languages are public contracts.
  publishToPypi: {
    distName: 'cdk8s-bound-tokens',
    module: 'cdk8s_bound_tokens',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdk8sboundtokens',
    mavenGroupId: 'io.github.cdk8sboundtokens',
    mavenArtifactId: 'cdk8s-bound-tokens',
  },
  publishToNuget: {
    dotNetNamespace: 'Cdk8sBoundTokens',
    packageId: 'Cdk8sBoundTokens',
  },
  publishToGo: {
    moduleName: 'github.com/cdk8s-bound-tokens/cdk8s-bound-tokens-go',
  },

  // Releases: projen's release machinery and the GitHub workflows it generates
  // (build, release to npm, PyPI, Maven, NuGet and Go, dependency upgrades).
  // `.ci/run` stays the local gate; CONTRIBUTING.md describes the release process.
  github: true,
  release: true,
  releaseTrigger: release.ReleaseTrigger.continuous(),
  // Semantic versions from conventional commits. 0.x until the API is declared
  // stable: a breaking change bumps the minor version and 1.0.0 is a deliberate
  // change of majorVersion here.
  majorVersion: 0,
  // projen releases the first version as 0.0.0; start at 0.1.0 (semver's first
  // development release). Prints nothing once a release tag exists, so the
  // conventional commits decide.
  nextVersionCommand: 'node -e "process.stdout.write(process.env.LATEST_TAG ? \'\' : \'0.1.0\')"',
  // docs:, chore:, test: commits alone do not make a release.
  releasableCommits: ReleasableCommits.featuresAndFixes(),
  releaseToNpm: true,
  // The workflows run on Node 22: projen's release bump (commit-and-tag-version 13)
  // requires it. The library itself still supports Node 20 (minNodeVersion), which
  // `.ci/run` uses locally.
  workflowNodeVersion: '22.x',
  // jsii-diff against the latest version on npm: off until 0.1.0 is published,
  // since `jsii-diff npm:cdk8s-bound-tokens` has nothing to fetch (npm answers 404)
  // and would fail every compile. Turn on after the first release;
  // `npx projen compat` runs it by hand.
  compat: false,
  depsUpgrade: true,
  pullRequestTemplate: false,
  sampleCode: false,
  docgen: true,
});

project.gitignore.exclude('/dist/', '/.jsii-pacmak/', '/bench-results/', '.tmp-*');
project.npmignore?.exclude('/examples/', '/scripts/', '/.ci/', '/tsconfig.dev.json', '/bench-results/');


// The main job: synthesize every app in examples/ into a git-ignored folder.
project.addTask('examples', {
  description: 'Synthesize every app in examples/ to YAML under dist/examples',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/synth-examples.ts',
  receiveArgs: true,
});

// The tests against a real kube-apiserver (../shared/tools/apiserver beside the
// clone). Without it they skip with one line; .ci/run sets REQUIRE_APISERVER=1
// so that a skip fails CI. The ignore option comes first: it takes a list, and
// a path after it would be read as one more pattern to ignore (which ran every
// suite but these).
project.addTask('test:apiserver', {
  description: 'Run the tests against a real kube-apiserver (needs ../shared/tools/apiserver and etcd)',
  exec: 'jest --testPathIgnorePatterns=/node_modules/ --ci --runInBand --coverage=false test/apiserver',
  receiveArgs: true,
});

// Benchmarks are scripts, not jest tests.
project.addTask('bench', {
  description: 'Run the benchmarks and print ratios against their baselines',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/bench.ts',
  receiveArgs: true,
});

// The rule table of docs/rules.md is generated from the catalogue.
project.addTask('rules:table', {
  description: 'Rewrite the rule table in docs/rules.md from the rule catalogue',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/rule-table.ts',
});

// The table of what the admission policy enforces (docs/admission-policy.md) is generated too.
project.addTask('policy:table', {
  description: 'Rewrite the admission policy table in docs/admission-policy.md from the policy rule coverage',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/policy-table.ts',
});

// The tests validate Authentication objects against a description-free JSON schema
// kept in the repository (test/fixtures/authentication.v1.schema.json), generated
// from the OpenShift CRD: pass the CRD's path (default ../shared/data/...).
project.addTask('schema:authentication', {
  description: 'Rewrite test/fixtures/authentication.v1.schema.json from the OpenShift Authentication CRD (path as argument)',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/authentication-schema.ts',
  receiveArgs: true,
});

// `npx projen release` as the release workflow runs it (CI=true: package JS
// only, as other languages' packagers need registries), without publishing:
// bump from the git tags and conventional commits, build, package, unbump.
// Needs a clean tree (release ends with `git diff --exit-code`): say so first.
project.addTask('release:local', {
  description: 'Bump, build and package (JS) a release locally without publishing; prints the version and artifacts',
  env: { CI: 'true', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', CDK8S_CHECK_UPGRADE: 'false' },
  steps: [
    // (projen runs task steps in its own portable shell, not bash: the checks are a script)
    { exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/release-local.ts preflight' },
    { spawn: 'release' },
    { exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/release-local.ts summary' },
  ],
});

// Prove the public API is usable from Python, Java, .NET and Go (offline, code only).
const pacmak = project.addTask('pacmak:code-only', {
  description: 'Generate (not package) the jsii bindings for python, java, dotnet and go',
  env: { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  exec: 'jsii-pacmak --code-only --target python --target java --target dotnet --target go --outdir .jsii-pacmak',
});
void pacmak;

project.synth();
