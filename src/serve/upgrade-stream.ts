/**
 * `POST /_hot/upgrade` with `Accept: application/x-ndjson`: the upgrade told as it happens,
 * one JSON object per line, so `hotworker upgrade` can show what it waits for and each phase.
 *
 *   {"event":"waiting","behind":"upgrade (watch)"}       another transition runs first
 *   {"event":"phase","phase":"build","ms":0.4}           build, load, verify, shift, drain
 *   {"event":"done","changed":true,"previous":{…},"version":{…}}
 *   {"event":"failed","error":{"code","message","where"},"serving":{…}}   the old version serves
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpgradeOptions, VersionInfo } from '../index.js';
import type { Transition } from './admin.js';
import { summarizeFailure } from './failure.js';
import { versionJson } from './versions.js';

/** The media type of the stream. */
export const NDJSON = 'application/x-ndjson';

/** What the stream needs from the server. */
export interface UpgradeStreamContext {
  readonly optionNames: Readonly<Record<string, string>>;
  /** The transition running now (`upgrade (watch)`), which this one waits behind; undefined when none. */
  readonly busy: string | undefined;
  /** The version serving now; undefined once the module is closed. */
  serving(): VersionInfo | undefined;
  upgrade(trigger: string, options: UpgradeOptions): Promise<Transition>;
}

/** True when the client asked for the stream. */
export function wantsStream(request: IncomingMessage): boolean {
  return (request.headers.accept ?? '').includes(NDJSON);
}

/** Runs the upgrade, writing each step as a line; the answer is 200 whatever the outcome (the last line says). */
export async function streamUpgrade(context: UpgradeStreamContext, response: ServerResponse, options: UpgradeOptions): Promise<void> {
  response.writeHead(200, { 'content-type': `${NDJSON}; charset=utf-8`, 'cache-control': 'no-store' });
  const line = (value: object) => {
    if (!response.destroyed) response.write(`${JSON.stringify(value)}\n`);
  };
  const behind = context.busy;
  if (behind !== undefined) line({ event: 'waiting', behind });
  try {
    const transition = await context.upgrade('admin', { ...options, onPhase: (progress) => line({ event: 'phase', ...progress }) });
    line({
      event: 'done',
      changed: transition.changed,
      previous: versionJson(transition.previous),
      version: versionJson(transition.version),
    });
  } catch (error) {
    const summary = summarizeFailure(error, context.optionNames);
    const serving = context.serving();
    line({
      event: 'failed',
      error: { code: summary.code, message: summary.message, where: summary.where },
      serving: serving === undefined ? null : versionJson(serving),
    });
  }
  response.end();
}
