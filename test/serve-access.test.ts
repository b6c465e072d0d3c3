// Cross-site and DNS-rebinding requests: a foreign Host, a foreign Origin, a text/plain admin
// body are refused; --allow-host and --cors open exactly what they name.
import { describe, expect, it } from 'vitest';
import { accessPolicy } from '../dist/src/serve/access.js';
import type { ServeOptions } from '../dist/src/serve/server.js';
import { rawRequest, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

async function serve(options: Partial<ServeOptions> = {}) {
  const ws = workspace();
  const server = await serveFunctionsInProcess(ws, options);
  const own = new URL(server.url).host;
  return { server, own };
}

const ATTACKER = { host: 'attacker.example', origin: 'http://attacker.example' };

describe('serve: Host and Origin checks', () => {
  it('refuses the attack of the issue: foreign Host and Origin, text/plain body', async () => {
    const { server } = await serve();
    const headers = { host: ATTACKER.host, origin: ATTACKER.origin, 'content-type': 'text/plain' };
    const status = await rawRequest(server.url, { path: '/_hot/status', headers: { host: ATTACKER.host, origin: ATTACKER.origin } });
    expect(status.status).toBe(403);
    expect(JSON.parse(status.body)).toMatchObject({ error: { code: 'ERR_SERVE_HOST' } });
    expect(status.body).not.toContain(server.module.version.entry);
    for (let attempt = 0; attempt < 3; attempt++) {
      const upgrade = await rawRequest(server.url, { method: 'POST', path: '/_hot/upgrade', headers, body: '{"restart":true}' });
      expect(upgrade.status).toBe(403);
    }
    expect(server.module.version.id).toBe(1);
  });

  it('refuses a foreign Host on every route, and accepts the loopback names with the port', async () => {
    const { server, own } = await serve();
    const port = new URL(server.url).port;
    for (const path of ['/', '/metrics', '/_hot/status']) {
      expect((await rawRequest(server.url, { path, headers: { host: ATTACKER.host } })).status, path).toBe(403);
      expect((await rawRequest(server.url, { path, headers: { host: `127.0.0.1:${Number(port) + 1}` } })).status, path).toBe(403);
    }
    const call = await rawRequest(server.url, { method: 'POST', path: '/call/add', headers: { host: ATTACKER.host }, body: '[1,2]' });
    expect(call.status).toBe(403);
    for (const host of [own, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      const answer = await rawRequest(server.url, { method: 'POST', path: '/call/add', headers: { host }, body: '[1,2]' });
      expect(answer.status, host).toBe(200);
      expect((await rawRequest(server.url, { path: '/_hot/status', headers: { host } })).status, host).toBe(200);
    }
    // No Host at all: Node itself answers 400 (HTTP/1.1 requires one).
    expect((await rawRequest(server.url, { path: '/', headers: {} })).status).toBe(400);
  });

  it('remembers its answer for each Host, for the port it was given for', () => {
    let port = 0;
    const policy = accessPolicy({ host: '127.0.0.1', port: () => port, allowHosts: ['api.example'] });
    // Asked before the server listens (port 0), then after: the answer follows the port.
    expect(policy.hostAllowed('127.0.0.1:3000')).toBe(false);
    port = 3000;
    for (let ask = 0; ask < 3; ask++) {
      expect(policy.hostAllowed('127.0.0.1:3000')).toBe(true);
      expect(policy.hostAllowed('localhost:3001')).toBe(false);
      expect(policy.hostAllowed('attacker.example:3000')).toBe(false);
      expect(policy.hostAllowed('api.example:9999')).toBe(true);
    }
    // Many different Host values: the memo stays bounded and the answers stay right.
    for (let i = 0; i < 200; i++) expect(policy.hostAllowed(`name-${i}.example:3000`)).toBe(false);
    expect(policy.hostAllowed('127.0.0.1:3000')).toBe(true);
    expect(policy.hostAllowed(undefined)).toBe(false);
  });

  it('answers the names --allow-host lists', async () => {
    const { server } = await serve({ allowHosts: ['api.example', 'other.example:8080'] });
    const port = new URL(server.url).port;
    expect((await rawRequest(server.url, { path: '/', headers: { host: `api.example:${port}` } })).status).toBe(200);
    expect((await rawRequest(server.url, { path: '/', headers: { host: 'other.example:8080' } })).status).toBe(200);
    expect((await rawRequest(server.url, { path: '/', headers: { host: `other.example:${port}` } })).status).toBe(403);
  });

  it('admin routes refuse a foreign Origin and any body that is not JSON', async () => {
    const { server, own } = await serve();
    const foreign = await rawRequest(server.url, { path: '/_hot/status', headers: { host: own, origin: ATTACKER.origin } });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'ERR_SERVE_ORIGIN' } });
    const post = await rawRequest(server.url, {
      method: 'POST',
      path: '/_hot/upgrade',
      headers: { host: own, origin: ATTACKER.origin, 'content-type': 'application/json' },
      body: '{"restart":true}',
    });
    expect(post.status).toBe(403);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const plain = await rawRequest(server.url, {
        method: 'POST',
        path: '/_hot/upgrade',
        headers: { host: own, 'content-type': type },
        body: '{"restart":true}',
      });
      expect(plain.status, type).toBe(415);
      expect(JSON.parse(plain.body)).toMatchObject({ error: { code: 'ERR_SERVE_CONTENT_TYPE' } });
    }
    expect(server.module.version.id).toBe(1);
    const same = await rawRequest(server.url, {
      method: 'POST',
      path: '/_hot/upgrade',
      headers: { host: own, origin: `http://${own}`, 'content-type': 'application/json' },
      body: '{"restart":true}',
    });
    expect(same.status).toBe(200);
    // No body at all needs no Content-Type (`curl -X POST .../_hot/upgrade`).
    expect((await rawRequest(server.url, { method: 'POST', path: '/_hot/upgrade', headers: { host: own } })).status).toBe(200);
    expect(server.module.version.id).toBe(2);
  });

  it('/call/* refuses foreign Origins: CORS is off by default', async () => {
    const { server, own } = await serve();
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: '/call/add',
      headers: { host: own, origin: 'http://app.example', 'content-type': 'text/plain' },
      body: '[1,2]',
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_SERVE_ORIGIN' } });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    const same = await rawRequest(server.url, {
      method: 'POST',
      path: '/call/add',
      headers: { host: own, origin: `http://${own}` },
      body: '[1,2]',
    });
    expect(same.status).toBe(200);
  });

  it('--cors allows one origin, with preflight answers', async () => {
    const { server, own } = await serve({ cors: 'http://app.example' });
    const preflight = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/call/add',
      headers: {
        host: own,
        origin: 'http://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'http://app.example',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      vary: 'Origin',
    });
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: '/call/add',
      headers: { host: own, origin: 'http://app.example', 'content-type': 'application/json' },
      body: '[1,2]',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('3');
    expect(answer.headers['access-control-allow-origin']).toBe('http://app.example');
    expect(answer.headers['access-control-expose-headers']).toBe('hotworker-version');
    const other = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/call/add',
      headers: { host: own, origin: ATTACKER.origin, 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // The allowed origin is for calls only: the admin API stays same-origin.
    const admin = await rawRequest(server.url, { path: '/_hot/status', headers: { host: own, origin: 'http://app.example' } });
    expect(admin.status).toBe(403);
  });
});
