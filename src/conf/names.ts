/**
 * Why a module name or version cannot be one (it becomes a directory name in the trees and a word in
 * package scripts), or undefined when it can.
 */
export function planNameProblem(value: string): string | undefined {
  if (value === '.' || value === '..') return `"${value}" is not a name: it would be a path step`;
  if (value.startsWith('-')) return `"${value}" must not begin with "-"`;
  if (!/^[^\s/'"`$\\;&|<>(){}*?[\]]+$/.test(value)) {
    return `"${value}" must not contain "/", white space, quotes or shell characters`;
  }
  return undefined;
}
