/**
 * A copy of bench/fixtures/upgradable/ in a scratch directory, whose version tag the bench
 * rewrites to make a new version: `setTag('B')` changes tag.js only, as an edit would.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILES = ['entry.js', 'format.js', 'tag.js'];

export function upgradable(dir) {
  for (const file of FILES) copyFileSync(new URL(`../fixtures/upgradable/${file}`, import.meta.url), join(dir, file));
  return {
    entry: join(dir, 'entry.js'),
    setTag(tag) {
      writeFileSync(join(dir, 'tag.js'), `export const TAG = ${JSON.stringify(tag)};\n`);
    },
  };
}
