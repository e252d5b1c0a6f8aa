import type { DkmsAction } from '../dkms/grammar.ts';
import { planValueCompletion, type CompletionSpec, type ValueCompletion } from './completion.ts';
import type { DkmsGrammar } from './dkms-man.ts';

/** The `dkms` front end's completion: every action, and dkms's options, which any action takes. */
export function planDkmsCompletion(grammar: DkmsGrammar): CompletionSpec {
  const options = grammar.options.map((o) => ({
    names: o.patterns.map((p) => p.replace(/\*$/, '')),
    value: o.value === undefined ? undefined : planValueCompletion(o.value),
  }));
  const namesOf = (name: string): string[] =>
    options.filter((o) => o.names.includes(name)).flatMap((o) => o.names);
  return {
    program: 'dkms',
    functionName: '_kmodforge_dkms',
    root: {
      names: ['dkms'],
      options,
      arguments: [],
      variadic: false,
      commands: grammar.actions.map((a) => ({
        names: [a.name],
        options: [],
        arguments: [planActionArguments(a)],
        variadic: true,
        commands: [],
      })),
    },
    commandAnywhere: true,
    rootOptions: [],
    dkmsTreeOptions: namesOf('--dkmstree'),
    installTreeOptions: namesOf('--installtree'),
  };
}

/** From the action's synopsis: module/module-version, a /path/to/ something, both, or neither. */
function planActionArguments(action: DkmsAction): ValueCompletion {
  const module = /module/.test(action.synopsis);
  const path = /\/path\//.test(action.synopsis);
  if (module) return path ? 'module-version-or-file' : 'module-version';
  return path ? 'file' : 'none';
}
