// Many small inputs through map(): 200,000 lines counted in chunks on every worker, with
// progress, then the same with settle: true, where one bad input fails alone.
//
// Run it with `npm run build && node examples/map/main.js`.
import { hot } from 'hotworker';

const words = await hot(new URL('./words.ts', import.meta.url), { threads: 2 });

const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} has ${'word '.repeat(i % 7)}`);
const counts = await words.map('countWords', lines, {
  onProgress: (done, total) => process.stdout.write(`\r${done} of ${total} lines`),
});
console.log(`\n${counts.reduce((sum, n) => sum + n, 0)} words in ${counts.length} lines`);

const outcomes = await words.map('countWords', ['one two', null, 'three'], { settle: true });
for (const [i, outcome] of outcomes.entries()) {
  console.log(`input ${i}: ${outcome.status === 'fulfilled' ? outcome.value : `failed, ${outcome.reason.name}`}`);
}

await words.close();
