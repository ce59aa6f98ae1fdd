import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildResponseAsync } from '../src/saml/response';
import { credential, responseInput } from './fixtures';

/**
 * The launch ceiling of `npm run bench` (issue 11 #5): a bare node:http server that does what a
 * launch cannot do without — find the session named by the cookie, sign the same assertion as
 * Gatehouse on the thread pool (buildResponseAsync, as services/sso-response.ts does) and answer
 * the auto-posting form — and nothing else: no Express, sessions store, templates or events.
 * Gatehouse's launch rate is reported as a ratio to this one, measured in the same run.
 */
const cred = credential();
const sessions = new Map<string, { email: string }>();
const sid = crypto.randomBytes(16).toString('base64url');
sessions.set(sid, { email: 'bench@example.com' });

const server = http.createServer((req, res) => {
  const cookie = /(?:^|;\s*)sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  const session = cookie ? sessions.get(cookie) : undefined;
  if (!session || req.url !== '/saml2/bench') {
    res.writeHead(session ? 404 : 303, session ? {} : { location: '/login' }).end();
    return;
  }
  buildResponseAsync(responseInput(cred, false)).then((xml) => {
    const body = `<!doctype html><form method="post" action="https://wiki.example/acs" id="saml-post">`
      + `<input type="hidden" name="SAMLResponse" value="${Buffer.from(xml).toString('base64')}"></form>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  }, () => res.writeHead(500).end());
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port, cookie: `sid=${sid}` });
});
process.on('message', (m) => {
  if (m !== 'cpu') return;
  const { user, system } = process.cpuUsage();
  process.send?.({ cpu: user + system, queries: 0, queryMicros: 0, texts: {} });
});
process.on('disconnect', () => server.close());
