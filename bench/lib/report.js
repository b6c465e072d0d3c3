/**
 * bench/RESULTS.md, written from one run's report by `npm run bench -- --write-results`, so that
 * every number in it comes from the run, untouched. Whatever follows the NOTES_MARKER line in
 * the existing file (the hand-written reading of the results) is kept, and must carry no
 * figures: a reading written against one run goes stale at the next, so every number the notes
 * need is generated here from the report.
 */
export const NOTES_MARKER = '<!-- notes: written by hand, kept when the tables above are rewritten -->';

/** The two piscina baselines of scenarios 1 and 2; every other target names its own. */
const BASELINES = [PISCINA_HOTWORKER_OPTIONS, PISCINA_DEFAULTS];

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PISCINA_DEFAULTS, PISCINA_HOTWORKER_OPTIONS } from './baselines.js';
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
          " (the bench's own load included)"
        : ''),
    '',
    'Every figure is the median over several runs with (min–max); every comparison is a ratio of two',
    'figures taken in the same run. Targets are goals, reported as met or not met.',
    '',
    '## Targets',
    '',
    markdownTable({
      title: targetsTitle(report.results.flatMap((r) => r.targets)),
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
  out.push(...targetsByScenario(report), '');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
  assertNoFigures(notes);
  writeFileSync(file, `${out.join('\n')}\n${notes}`);
}

/**
 * "N of M met" once per piscina baseline: the targets of scenarios 1 and 2 are counted against
 * one baseline at a time, every other target in both counts.
 */
export function targetsTitle(targets) {
  // A report from before the two baselines: one count, against the one piscina it ran.
  if (!targets.some((t) => BASELINES.includes(t.baseline))) return `${targets.filter((t) => t.met).length} of ${targets.length} met`;
  const counts = BASELINES.map((baseline) => {
    const counted = targets.filter((t) => t.baseline === undefined || !BASELINES.includes(t.baseline) || t.baseline === baseline);
    return `${counted.filter((t) => t.met).length} of ${counted.length} met with ${baseline} as the baseline of scenarios 1 and 2`;
  });
  return counts.join('; ');
}

/** The generated reading: each scenario's targets in a sentence, figures straight from the report. */
function targetsByScenario(report) {
  const out = ['## Targets by scenario (generated from RESULTS.json)', ''];
  for (const result of report.results) {
    if (result.targets.length === 0) continue;
    const sentences = result.targets.map(
      (t) => `${t.name}: ${t.figure} against a goal of ${t.goal}, ${t.met === null ? 'not judged' : t.met ? 'met' : 'not met'}.`,
    );
    out.push(`- **${result.id}.** ${sentences.join(' ')}`);
  }
  return out;
}

/**
 * Hand-written notes may name scenarios ("**5.**", "scenarios 1 and 2") and issues ("#45685"),
 * but carry no measured figure: those are generated above from the run.
 */
export function assertNoFigures(notes) {
  const lines = notes.split('\n');
  for (const [index, line] of lines.entries()) {
    const stripped = line
      .replace(/#\d+/g, '')
      .replace(/\bp\d\d\b/g, '')
      .replace(/\*\*\d+\.?/g, '')
      .replace(/scenarios? \d+( and \d+)?/gi, '')
      .replace(/`[^`]*`/g, '');
    if (/\d/.test(stripped)) {
      throw new Error(`bench/RESULTS.md notes, line ${index + 1}, carry a figure; generate it from RESULTS.json instead: ${line}`);
    }
  }
}
