/**
 * Error bodies for anonymous callers: absolute file paths (the layout of the machine, the
 * user's home, where the service is deployed) are cut down to their last segment.
 */

/** POSIX paths, `file://` URLs and Windows paths (not the path of an `http://` URL); the last segment is kept. */
const ABSOLUTE_PATH =
  /(?<![\w.:/\\-])(?:file:\/\/)?(?:\/[^\s/'"`()<>:,;]+)*\/([^\s/'"`()<>:,;]+)|\b[A-Za-z]:\\(?:[^\s\\'"`()<>:,;]+\\)*([^\s\\'"`()<>:,;]+)/g;

/** `text` with every absolute path replaced by `…/<last segment>`: `/home/me/app/m.ts:3:9` → `…/m.ts:3:9`. */
export function redactPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (_path, posix: string | undefined, windows: string | undefined) => `…/${posix ?? windows}`);
}
