// The module the quickstart serves. The quickstart rewrites a copy of this file to upgrade it.
export const VERSION = 'v1';

export function greet(name: string): string {
  return `${VERSION}: hello, ${name}`;
}
