import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app';
import { createContext } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { AppContext, Clock } from '../../src/context';
import type { Group, SamlApplication, User } from '../../src/store';
import { freshPostgresUrl } from './postgres';

/**
 * A Gatehouse on a throwaway in-memory store, driven through the real HTTP stack with supertest.
 * PUBLIC_URL is fixed so tests can address AuthnRequests (Destination) to the app's SSO URL.
 */
export const PUBLIC_URL = 'http://gatehouse.test';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export class FakeClock implements Clock {
  private current = Date.now();
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

export interface Harness {
  ctx: AppContext;
  app: ReturnType<typeof createApp>;
  clock: FakeClock;
  printed: string[];
  api(): { get(p: string): request.Test; post(p: string): request.Test; patch(p: string): request.Test; put(p: string): request.Test; delete(p: string): request.Test };
  close(): Promise<void>;
}

/**
 * The store the HTTP, interop and browser suites run on: SQLite in memory, or, with
 * GATEHOUSE_TEST_DATABASE=postgres (`npm test` sets it for its PostgreSQL pass), a fresh database
 * on the throwaway PostgreSQL server.
 */
async function testDatabaseUrl(): Promise<string> {
  return process.env.GATEHOUSE_TEST_DATABASE === 'postgres' ? freshPostgresUrl() : 'sqlite::memory:';
}

/**
 * The tests' certs directory, which holds the store marker (src/store-marker.ts): one per test
 * process, removed when it exits, so test stores are never recorded in the checkout's ./certs.
 */
let testCertsDir: string | undefined;
export function certsDirForTests(): string {
  if (!testCertsDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-certs-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    testCertsDir = dir;
  }
  return testCertsDir;
}

export async function startGatehouse(env: Record<string, string> = {}): Promise<Harness> {
  const config = loadConfig({
    NODE_ENV: 'test', PUBLIC_URL, DATABASE_URL: await testDatabaseUrl(), GATEHOUSE_CERTS_DIR: certsDirForTests(), GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD, GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    SESSION_SECRET: crypto.randomBytes(32).toString('hex'), ...env,
  });
  const clock = new FakeClock();
  const printed: string[] = [];
  const ctx = await createContext(config, { clock, print: (line) => printed.push(line) });
  const app = createApp(ctx);
  const withToken = (t: request.Test) => t.set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Accept', 'application/json');
  return {
    ctx, app, clock, printed,
    api: () => ({
      get: (p) => withToken(request(app).get(p)),
      post: (p) => withToken(request(app).post(p)),
      patch: (p) => withToken(request(app).patch(p)),
      put: (p) => withToken(request(app).put(p)),
      delete: (p) => withToken(request(app).delete(p)),
    }),
    close: () => ctx.store.close(),
  };
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function createUser(h: Harness, overrides: Record<string, unknown> = {}): Promise<User & { password: string }> {
  const name = `user${unique()}`;
  const body = { username: name, email: `${name}@example.com`, firstName: 'Ada', lastName: 'Lovelace', password: 'a long enough password', ...overrides };
  const res = await h.api().post('/api/v1/users').send(body).expect(201);
  return { ...(res.body as User), password: String(body.password) };
}

export async function createGroup(h: Harness, name = `group-${unique()}`): Promise<Group> {
  return (await h.api().post('/api/v1/groups').send({ name }).expect(201)).body as Group;
}

export const SP_ENTITY_ID = 'https://wiki.example/sp';
export const SP_ACS = 'https://wiki.example/acs';

export function wikiApplication(overrides: Record<string, unknown> = {}, sso: Record<string, unknown> = {}) {
  return {
    catalogId: 'custom-saml', displayLabel: 'Wiki', slug: `wiki-${unique()}`,
    sso: {
      spEntityId: SP_ENTITY_ID, acsUrls: [SP_ACS, 'https://wiki.example/acs2'],
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameIdSource: 'email',
      signAssertion: true, signResponse: false, defaultRelayState: '', spCertificate: null, requireSignedRequests: false,
      ...sso,
    },
    attributes: [{ name: 'email', source: 'email' }, { name: 'groups', source: 'groups' }, { name: 'plan', value: 'enterprise' }],
    ...overrides,
  };
}

/**
 * The test SPs all call themselves SP_ENTITY_ID, and Gatehouse allows one app per SP entity ID
 * (issue 9 #16): a new wiki app takes the ID over from the one that held it, which gets its own.
 */
async function freeSpEntityId(h: Harness, body: Record<string, unknown>): Promise<void> {
  if ((body.sso as { spEntityId?: string } | undefined)?.spEntityId !== SP_ENTITY_ID) return;
  const holder = await h.ctx.store.applications.findBySpEntityId(SP_ENTITY_ID);
  if (holder?.sso) await h.ctx.store.applications.update({ ...holder, sso: { ...holder.sso, spEntityId: `${SP_ENTITY_ID}/${holder.slug}` } });
}

export async function createApplication(h: Harness, body: Record<string, unknown> = wikiApplication()): Promise<SamlApplication> {
  await freeSpEntityId(h, body);
  const res = await h.api().post('/api/v1/applications').send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  expect(res.body.sso, 'a SAML application').to.be.an('object');
  return res.body as SamlApplication;
}

/** A user in a group bound to a new app: the usual "authorized user" arrangement. */
export async function authorizedUser(h: Harness, appBody?: Record<string, unknown>) {
  const app = await createApplication(h, appBody);
  const user = await createUser(h);
  const group = await createGroup(h);
  await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
  await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
  return { app, user, group };
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1];
}

/** Sign in through the real form; returns the agent (cookies kept) and the final response. */
export async function signIn(h: Harness, login: string, password: string, agent: TestAgent = request.agent(h.app), sso?: string) {
  const page = await agent.get(sso ? `/login?sso=${sso}` : '/login').expect(200);
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: login, password, ...(sso ? { sso } : {}) });
  return { agent, res };
}

/** Pull the auto-POST form apart: ACS, SAMLResponse and RelayState as the browser would send them. */
export function readPostForm(html: string): { action: string; samlResponse: string; relayState?: string } {
  const decode = (s: string) => s.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const action = /<form method="post" action="([^"]*)" id="saml-post"/.exec(html)?.[1];
  const samlResponse = /name="SAMLResponse" value="([^"]*)"/.exec(html)?.[1];
  const relayState = /name="RelayState" value="([^"]*)"/.exec(html)?.[1];
  if (!action || !samlResponse) throw new Error(`not a SAML POST form:\n${html.slice(0, 500)}`);
  return { action: decode(action), samlResponse: decode(samlResponse), relayState: relayState === undefined ? undefined : decode(relayState) };
}

export function decodeResponse(samlResponse: string): string {
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}
