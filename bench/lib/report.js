/**
 * bench/RESULTS.md, written from one run's report by `npm run bench -- --write-results`, so that
 * every number in it comes from the run, untouched. Whatever follows the NOTES_MARKER line in
 * the existing file (the hand-written reading of the results) is kept.
 */
export const NOTES_MARKER = '<!-- notes: written by hand, kept when the tables above are rewritten -->';

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { markdownTable } from './format.js';

export function writeResultsMarkdown(file, report, charts) {
  const { machine } = report;
  const out = [
    '# hotworker benchmark results',
    '',
    `Written by \`npm run bench -- --write-results\`${report.quick ? ' (**quick mode**: indicative only)' : ''} on ${report.startedAt.slice(0, 10)}, ` +
      `commit ${machine.commit}, in ${Math.round(report.durationS)} s. Raw data: [RESULTS.json](RESULTS.json).`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores available to Node, ${machine.memoryGiB} GiB memory`,
    `- Node ${machine.node}, ${machine.os}`,
    `- Load average (1, 5, 15 min) before the run: ${machine.loadBefore.join(', ')}; after: ${machine.loadAfter.join(', ')}` +
      (machine.loadDuring
        ? `; 1-min load during the run, sampled every 5 s: median ${machine.loadDuring.median.toFixed(2)}, max ${machine.loadDuring.max.toFixed(2)}` +
          ' (on 2 cores, the bench alone accounts for about 1–2.5)'
        : ''),
    '',
    'Every figure is the median over several runs with (min–max); every comparison is a ratio of two',
    'figures taken in the same run. Targets are goals, reported as met or not met.',
    '',
    '## Targets',
    '',
    markdownTable({
      title: `${report.results.flatMap((r) => r.targets).filter((t) => t.met).length} of ${report.results.flatMap((r) => r.targets).length} met`,
      columns: ['scenario', 'target', 'figure', 'goal', 'met'],
      align: ['l', 'l', 'r', 'r', 'l'],
      rows: report.results.flatMap((result) =>
        result.targets.map((t) => [result.id, t.name, t.figure, t.goal, t.met === null ? 'n/a' : t.met ? '✔ met' : '✘ not met']),
      ),
    }),
    '',
  ];
  const failures = report.results.flatMap((r) => r.failures.map((f) => `${r.id}: ${f}`));
  if (failures.length > 0) out.push('**Failures:**', '', ...failures.map((f) => `- ${f}`), '');
  for (const result of report.results) {
    out.push(`## ${result.id}. ${result.title}`, '');
    if (result.skipped) {
      out.push(`Skipped: ${result.skipped}`, '');
      continue;
    }
    for (const table of result.tables) out.push(markdownTable(table), '');
    for (const chart of charts.filter((c) => c.scenario === result.id)) out.push(`![${chart.title}](charts/${chart.name}.svg)`, '');
  }
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
  writeFileSync(file, `${out.join('\n')}\n${notes}`);
}
