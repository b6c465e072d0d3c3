// The hotworker status page: plain JavaScript, no dependencies, served by `hotworker serve`.
// Live data comes from GET /_hot/events (server-sent events read through fetch, so that the
// admin token can travel as a header and never in a URL); actions POST JSON to the admin API.

const TOKEN_KEY = 'hotworker.adminToken';
/** Seconds of figures the charts show. */
const WINDOW_SECONDS = 180;

const access = document.querySelector('meta[name="hotworker-access"]')?.getAttribute('content') ?? 'open';
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  /** The last status document. */
  status: null,
  /** Per-second figures, oldest first: { at, figures: [{ version, calls, errors, p50, p99 }] }. */
  timeline: [],
  /** Activity entries, oldest first. */
  activity: [],
  /** True while an upgrade or rollback asked from this page runs. */
  busy: false,
};

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers(json) {
  const result = {};
  const saved = token();
  if (saved) result.authorization = `Bearer ${saved}`;
  if (json) result['content-type'] = 'application/json';
  return result;
}

// ---- connection ----------------------------------------------------------------------------

function setConnection(text, kind) {
  const pill = $('connection');
  pill.textContent = text;
  pill.dataset.kind = kind;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the event stream until it ends, then reconnects with a growing pause (the server may be restarting). */
async function connect() {
  let pause = 500;
  for (;;) {
    try {
      const response = await fetch('/_hot/events', { headers: headers(false), cache: 'no-store' });
      if (response.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        showLogin('The token was refused; enter it again.');
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`events answered ${response.status}`);
      pause = 500;
      setConnection('live', 'live');
      await readEvents(response.body);
    } catch {
      // The server went away or refused: fall through to the reconnect pause.
    }
    setConnection('reconnecting…', 'down');
    await sleep(pause);
    pause = Math.min(pause * 2, 5000);
  }
}

/** Parses `event:`/`data:` frames separated by blank lines. */
async function readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data !== '') onEvent(event, JSON.parse(data));
      end = buffer.indexOf('\n\n');
    }
  }
}

function onEvent(event, data) {
  switch (event) {
    case 'hello':
      state.status = data.status;
      state.timeline = data.timeline;
      state.activity = [...data.activity];
      break;
    case 'tick':
      state.status = data.status;
      state.timeline.push({ at: data.at, figures: data.figures });
      if (state.timeline.length > WINDOW_SECONDS) state.timeline.shift();
      break;
    case 'upgrade':
    case 'rollback':
    case 'canary':
    case 'crash':
    case 'upgrade-failed':
    case 'rollback-failed':
      state.activity.push(data);
      if (state.activity.length > 50) state.activity.shift();
      break;
    default:
      return;
  }
  render();
}

// ---- login ---------------------------------------------------------------------------------

function showLogin(message) {
  $('dashboard').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
  setConnection('signed out', 'down');
  $('token').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = /** @type {HTMLInputElement} */ ($('token')).value.trim();
  if (value === '') return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $('login').hidden = true;
  start();
});

// ---- rendering -----------------------------------------------------------------------------

function render() {
  const status = state.status;
  if (status === null) return;
  $('dashboard').hidden = false;
  const version = status.version;
  $('module-name').textContent = `· ${basename(status.module)}`;
  document.title = `v${version.id} · ${basename(status.module)} · hotworker`;
  $('serving-version').textContent = `v${version.id}`;
  $('serving-hash').textContent = version.hash.slice(0, 8);
  $('serving-entry').textContent = status.module;
  $('serving-age').textContent = age(version.createdAt);
  $('serving-exports').textContent = version.exports.join(', ') || 'none';

  $('threads').textContent = String(status.threads);
  $('standby').textContent = String(status.standbyThreads ?? 0);
  $('in-flight').textContent = String(status.inFlight);
  $('queued').textContent = String(status.queued);
  const draining = status.alive.filter((alive) => alive.version !== version.label);
  $('draining').textContent =
    draining.length === 0
      ? 'No version draining.'
      : `Draining: ${draining.map((d) => `${d.version} (${d.inFlight} in flight)`).join(', ')}`;

  renderHistory(status);
  renderCanary(status);
  renderCharts();
  renderActivity();
}

function renderHistory(status) {
  const list = $('history');
  list.replaceChildren(
    ...[...status.history].reverse().map((kept) => {
      const item = document.createElement('li');
      const current = kept.label === status.version.label;
      item.textContent = `v${kept.id} ${kept.hash.slice(0, 8)} · built ${age(kept.createdAt)} ago${current ? ' · serving' : ''}`;
      if (current) item.className = 'current';
      return item;
    }),
  );
}

function renderCanary(status) {
  const rollout = status.rollout;
  $('canary').hidden = rollout === null || rollout === undefined;
  if (rollout === null || rollout === undefined) return;
  $('canary-title').textContent = rollout.kind === 'watch' ? 'Watch after upgrade' : rollout.running ? 'Canary running' : 'Last canary';
  const lines = [`v${rollout.from} → v${rollout.to}${rollout.steps ? ` · steps ${rollout.steps.join(', ')} %` : ''}`];
  if (rollout.current) {
    lines.push(
      `step ${rollout.current.step} of ${rollout.steps.length}: ${rollout.current.share} % of new calls · ${figuresText(rollout.current.figures)}`,
    );
  }
  if (rollout.kind === 'watch' && rollout.figures) lines.push(figuresText(rollout.figures));
  for (const done of rollout.completed ?? []) {
    lines.push(`step ${done.step} (${done.share} %) ${done.passed ? 'passed' : `failed on ${done.reason}`}: ${figuresText(done.figures)}`);
  }
  $('canary-body').replaceChildren(
    ...lines.map((text) => {
      const line = document.createElement('p');
      line.textContent = text;
      return line;
    }),
  );
}

/** Calls, errors and p99 of the new version against the old one's. */
function figuresText(figures) {
  const p99 = figures.p99Ms === undefined ? '' : ` · p99 ${format(figures.p99Ms)} ms`;
  const baseline = figures.baselineP99Ms === undefined ? '' : ` vs ${format(figures.baselineP99Ms)} ms old`;
  const ratio = figures.latencyRatio === undefined ? '' : ` (${format(figures.latencyRatio)}×)`;
  return `${plural(figures.calls, 'call')}, ${plural(figures.errors, 'error')} (${format(figures.errorRate * 100)} %)${p99}${baseline}${ratio}`;
}

/** One small chart per measure, one line per version that answered in the window. */
function renderCharts() {
  const versions = new Map();
  state.timeline.forEach((tick, index) => {
    for (const figures of tick.figures) {
      let series = versions.get(figures.version);
      if (series === undefined) {
        series = [];
        versions.set(figures.version, series);
      }
      series.push({ index, ...figures });
    }
  });
  const active = [...versions].filter(([, series]) => series.some((point) => point.calls > 0));
  const charts = $('charts');
  if (active.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'muted';
    empty.textContent = 'No calls in the last minutes.';
    charts.replaceChildren(empty);
    return;
  }
  const measures = [
    ['calls/s', (p) => p.calls],
    ['errors/s', (p) => p.errors],
    ['p50 ms', (p) => p.p50],
    ['p99 ms', (p) => p.p99],
  ];
  charts.replaceChildren(
    ...measures.map(([title, pick]) => chart(title, active, pick, state.timeline.length)),
    legend(active.map(([version]) => version)),
  );
}

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2'];
const SVG = 'http://www.w3.org/2000/svg';

function chart(title, active, pick, length) {
  const width = 240;
  const height = 60;
  let max = 0;
  for (const [, series] of active) for (const point of series) max = Math.max(max, pick(point) ?? 0);
  const figure = document.createElement('figure');
  figure.className = 'chart';
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  const last = active.map(([version, series]) => `${version}: ${format(pick(series.at(-1)))}`).join(', ');
  svg.setAttribute('aria-label', `${title}, latest ${last}`);
  active.forEach(([, series], index) => {
    const points = series
      .filter((point) => pick(point) !== null)
      .map((point) => {
        const x = length <= 1 ? width : (point.index / (length - 1)) * width;
        const y = height - 2 - (max === 0 ? 0 : ((pick(point) ?? 0) / max) * (height - 4));
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      });
    if (points.length === 0) return;
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.length === 1 ? `${points[0]} ${points[0]}` : points.join(' '));
    line.setAttribute('stroke', COLORS[index % COLORS.length]);
    svg.append(line);
  });
  const caption = document.createElement('figcaption');
  caption.textContent = `${title} · max ${format(max)}`;
  figure.append(caption, svg);
  return figure;
}

function legend(labels) {
  const list = document.createElement('ul');
  list.className = 'legend';
  labels.forEach((label, index) => {
    const item = document.createElement('li');
    item.style.setProperty('--swatch', COLORS[index % COLORS.length]);
    item.textContent = `v${label}`;
    list.append(item);
  });
  return list;
}

function renderActivity() {
  const rows = [...state.activity]
    .reverse()
    .slice(0, 20)
    .map((entry) => {
      const row = document.createElement('tr');
      row.className = `kind-${entry.kind}`;
      row.dataset.kind = entry.kind;
      for (const text of [new Date(entry.at).toLocaleTimeString(), entry.kind, describe(entry)]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    });
  $('activity').replaceChildren(...rows);
}

function describe(entry) {
  switch (entry.kind) {
    case 'upgrade':
    case 'rollback': {
      const killed = entry.killed > 0 ? `, killed ${entry.killed}` : '';
      const why = entry.reason === 'auto' ? 'automatic: error rate crossed' : entry.trigger;
      return `${entry.from} → ${entry.to} in ${Math.round(entry.switchMs)} ms (${why}), drained ${plural(entry.drained, 'call')}${killed}`;
    }
    case 'canary':
      return `${entry.to} step ${entry.step}/${entry.steps.length} (${entry.share} %) ${entry.passed ? 'passed' : `failed on ${entry.reason}`}: ${figuresText(entry.figures)}`;
    case 'upgrade-failed':
    case 'rollback-failed':
      return `${entry.code ?? 'error'}: ${entry.message} (${entry.trigger}; ${entry.serving} keeps serving)`;
    case 'crash':
      return `a worker of ${entry.version} died: ${entry.message}`;
    default:
      return JSON.stringify(entry);
  }
}

// ---- actions -------------------------------------------------------------------------------

function confirmAction(text) {
  const dialog = /** @type {HTMLDialogElement} */ ($('confirm'));
  $('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-cancel').focus();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

function setBusy(busy) {
  state.busy = busy;
  for (const id of ['upgrade-button', 'rollback-button']) /** @type {HTMLButtonElement} */ ($(id)).disabled = busy;
}

async function act(kind, body, question) {
  if (state.busy) return;
  setBusy(true);
  try {
    if (!(await confirmAction(question))) return;
    const result = $('action-result');
    result.dataset.kind = 'progress';
    result.textContent = kind === 'upgrade' ? 'Upgrading: build, load, verify, shift, drain…' : 'Rolling back…';
    const response = await fetch(`/_hot/${kind}`, { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      // Show the new state now rather than at the next tick.
      const status = await fetch('/_hot/status', { headers: headers(false), cache: 'no-store' });
      if (status.ok) {
        state.status = await status.json();
        render();
      }
      result.dataset.kind = 'ok';
      result.textContent = answer.changed
        ? `${kind === 'upgrade' ? 'Upgraded' : 'Rolled back'}: v${answer.previous.id} → v${answer.version.id}`
        : `Unchanged: v${answer.version.id} keeps serving (the source did not change; tick "restart" to start it afresh)`;
    } else {
      result.dataset.kind = 'error';
      const error = answer.error ?? {};
      result.textContent = `${kind === 'upgrade' ? 'Upgrade' : 'Rollback'} failed${error.code ? ` (${error.code})` : ''}: ${error.message ?? response.statusText}. The serving version was not changed.`;
    }
  } catch (error) {
    $('action-result').dataset.kind = 'error';
    $('action-result').textContent = `The request did not complete: ${error.message}`;
  } finally {
    setBusy(false);
  }
}

$('upgrade-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const body = {};
  if (/** @type {HTMLInputElement} */ ($('opt-allow-breaking')).checked) body.allowBreaking = true;
  if (/** @type {HTMLInputElement} */ ($('opt-restart')).checked) body.restart = true;
  const steps = /** @type {HTMLInputElement} */ ($('opt-canary')).value.trim();
  if (steps !== '') body.canary = { steps: steps.split(',').map((step) => Number(step.trim())) };
  const options = Object.keys(body).length === 0 ? '' : ` with ${Object.keys(body).join(', ')}`;
  void act(
    'upgrade',
    body,
    `Build ${state.status ? basename(state.status.module) : 'the module'} again and shift traffic to it${options}?`,
  );
});

$('rollback-button').addEventListener('click', () => {
  const history = state.status?.history ?? [];
  const previous = history.at(-2);
  const target = previous ? `v${previous.id}` : 'the previous version';
  void act('rollback', {}, `Shift traffic back to ${target}? The current version will end.`);
});

// ---- helpers -------------------------------------------------------------------------------

function basename(path) {
  return String(path).split(/[\\/]/).pop();
}

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function format(value) {
  if (value === null || value === undefined) return '–';
  return value >= 100 ? String(Math.round(value)) : String(Math.round(value * 100) / 100);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function start() {
  if (access === 'token' && !token()) {
    showLogin();
    return;
  }
  void connect();
}

start();
