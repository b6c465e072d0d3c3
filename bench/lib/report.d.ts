// Types for the parts of report.js the tests use (the bench itself is plain JavaScript).
export const NOTES_MARKER: string;
export function writeResultsMarkdown(file: string, report: unknown, charts: unknown[]): void;
export function targetsTitle(targets: ReadonlyArray<{ met: boolean | null; baseline?: string }>): string;
export function assertNoFigures(notes: string): void;
