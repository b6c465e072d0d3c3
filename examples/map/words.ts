// One small task per input: counting the words of a line. Called by examples/map/main.js.
export function countWords(line: string): number {
  const words = line.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}
