import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/', 'test/fixtures/', 'examples/', 'bin/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The plan layer: pure functions from facts to plans (see ARCHITECTURE.md). They may import types
    // from anywhere, but no code that touches the file system or runs a process.
    files: [
      'scripts/package-layout.ts',
      'scripts/package-meta.ts',
      'src/**/*-plan.ts',
      'src/build/make-command.ts',
      'src/cli/command-request.ts',
      'src/cli/dkms/grammar.ts',
      'src/cli/dkms/parse-dkms-argv.ts',
      'src/cli/dkms/text/*.ts',
      'src/cli/docs/*.ts',
      'src/cli/progress-model.ts',
      'src/commands/doctor-checks.ts',
      'src/commands/doctor-finding.ts',
      'src/commands/doctor-state-checks.ts',
      'src/conf/eval-script.ts',
      'src/conf/exclusive.ts',
      'src/conf/names.ts',
      'src/conf/parse-dump.ts',
      'src/kernel/flavor-rules.ts',
      'src/kernel/kconfig.ts',
      'src/kernel/release.ts',
      'src/kernel/target.ts',
      'src/package/deb/control.ts',
      'src/package/naming.ts',
      'src/package/rpm/binary-spec.ts',
      'src/package/tarball/layout.ts',
      'src/state/modinfo.ts',
      'src/state/module-name.ts',
      'src/state/tree.ts',
      'src/verify/bzimage.ts',
      'src/verify/cpio-newc.ts',
      'src/verify/guest-init.ts',
      'src/verify/load-order.ts',
      'src/verify/ovmf-vars.ts',
      'src/verify/parse-results.ts',
      'src/verify/qemu-command.ts',
    ],
    // read-*.ts files read facts for a plan; they are not part of the pure layer whatever their name ends in.
    ignores: ['src/**/read-*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['node:fs', 'node:fs/promises', 'node:child_process', 'execa', 'tar'].map((name) => ({
            name,
            message: 'the plan layer is pure: read facts in a read* module and pass them in',
            allowTypeImports: true,
          })),
          patterns: [
            {
              group: [
                '**/exec/run.ts',
                '**/exec/which.ts',
                '**/state/fs.ts',
                '**/state/atomic.ts',
                '**/state/lock.ts',
                '**/state/copy-tree.ts',
                '**/state/walk-tree.ts',
                '**/state/temp-dir.ts',
                '**/state/read-state.ts',
                '**/state/module-file.ts',
                '**/kernel/discover.ts',
                '**/install/read-install-facts.ts',
                '**/install/journal.ts',
                '**/conf/evaluate.ts',
                '**/conf/read.ts',
                '**/commands/*',
              ],
              message: 'the plan layer is pure: it may import only types from modules that read or act',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
