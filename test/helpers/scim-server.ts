import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { startGatehouse, type Harness } from './harness';

/**
 * A real SCIM 2.0 service provider for the tests: SCIMMY (resources, filters, PATCH) behind
 * scimmy-routers (the RFC 7644 HTTP endpoints) on a loopback port, with an in-memory directory
 * and a bearer token. `faults` makes it answer errors for a while, as an SP outage would.
 */
type Json = Record<string, any>;

// scimmy and scimmy-routers are ES modules only: a real dynamic import from CommonJS.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

export interface ScimServer {
  baseUrl: string;
  token: string;
  users: Map<string, Json>;
  groups: Map<string, Json>;
  requests: { method: string; path: string; body?: Json }[];
  /** Called just before a POST /Users is handled, to stage races (the account appears meanwhile). */
  beforeCreate?: (body: Json) => void;
  /**
   * A broken or hostile SP: called for every request before SCIMMY; when it answers (and returns
   * true), SCIMMY does not. Used for answers of the wrong shape or size.
   */
  override?: (req: express.Request, res: express.Response) => boolean;
  /** Answer this status to the next `count` requests (e.g. 503), with Retry-After (seconds or an HTTP-date) when given. */
  fail(status: number, count: number, retryAfter?: number | string): void;
  /** False: PATCH on /Groups answers 501, as Quip's SCIM service does (the Quip seed). */
  groupPatch: boolean;
  /** False: GET /Groups refuses a filter (400), as Quip's does ("GET /Groups does not support sorting or filtering"). */
  groupFilter: boolean;
  close(): Promise<void>;
}

let declared = false;
let current: { users: Map<string, Json>; groups: Map<string, Json> } | undefined;

export async function startScimServer(token = `scim-${crypto.randomBytes(12).toString('hex')}`): Promise<ScimServer> {
  const SCIMMY = (await importEsm('scimmy')).default;
  const SCIMMYRouters = (await importEsm('scimmy-routers')).default;
  const users = new Map<string, Json>();
  const groups = new Map<string, Json>();
  const requests: { method: string; path: string; body?: Json }[] = [];
  let faults: { status: number; count: number; retryAfter?: number | string } = { status: 0, count: 0 };

  const store = (mapOf: () => Map<string, Json>, kind: 'User' | 'Group') => ({
    ingress: (resource: any, data: Json) => {
      const map = mapOf();
      const id = resource.id ?? crypto.randomUUID();
      if (!resource.id && kind === 'User' && [...map.values()].some((u) => u.userName?.toLowerCase() === String(data.userName).toLowerCase())) {
        throw new SCIMMY.Types.Error(409, 'uniqueness', 'userName is already taken');
      }
      if (resource.id && !map.has(id)) throw new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
      const now = new Date().toISOString();
      const record = { ...data, id, meta: { resourceType: kind, created: map.get(id)?.meta?.created ?? now, lastModified: now } };
      map.set(id, record);
      return record;
    },
    egress: (resource: any) => {
      const map = mapOf();
      if (resource.id) {
        const found = map.get(resource.id);
        if (!found) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        return found;
      }
      const all = [...map.values()];
      return resource.filter ? resource.filter.match(all) : all;
    },
    degress: (resource: any) => {
      const map = mapOf();
      if (!map.delete(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
    },
  });
  // SCIMMY's resource declarations are global to the process: declared once, they serve the
  // directory of the server started last.
  current = { users, groups };
  if (!declared) {
    const u = store(() => current!.users, 'User');
    const g = store(() => current!.groups, 'Group');
    // The enterprise extension (RFC 7643 §4.3), with the custom role attributes ClickUp reads
    // (the ClickUp seed's "Enterprise" model), so role values are stored where they are sent.
    SCIMMY.Schemas.EnterpriseUser.extend([
      new SCIMMY.Types.Attribute('string', 'customRoleName'), new SCIMMY.Types.Attribute('string', 'customRoleId'),
    ]);
    SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
      .ingress(u.ingress).egress(u.egress).degress(u.degress);
    SCIMMY.Resources.declare(SCIMMY.Resources.Group).ingress(g.ingress).egress(g.egress).degress(g.degress);
    declared = true;
  }

  const server_: ScimServer = {
    baseUrl: '', token, users, groups, requests, groupPatch: true, groupFilter: true,
    fail(status, count, retryAfter) { faults = { status, count, retryAfter }; },
    close: async () => undefined,
  };
  const app = express();
  app.use(express.json({ type: ['application/json', 'application/scim+json'], limit: '1mb' }));
  app.use((req, res, next) => {
    // Express 5 recomputes req.query on every read; scimmy-routers casts startIndex and count in
    // place, so the query is pinned as a plain object first.
    Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true });
    requests.push({ method: req.method, path: req.originalUrl, body: req.body && Object.keys(req.body).length ? req.body : undefined });
    if (req.method === 'POST' && req.path.endsWith('/Users')) server_.beforeCreate?.(req.body);
    if (server_.override?.(req, res)) return;
    if (req.method === 'PATCH' && req.path.includes('/Groups') && !server_.groupPatch) {
      res.status(501).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '501', detail: 'PATCH is not supported for /Groups' });
      return;
    }
    if (req.method === 'GET' && req.path.endsWith('/Groups') && req.query.filter !== undefined && !server_.groupFilter) {
      res.status(400).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidFilter', detail: 'Filtering is not supported for /Groups' });
      return;
    }
    if (faults.count > 0) {
      faults.count -= 1;
      if (faults.retryAfter !== undefined) res.setHeader('Retry-After', String(faults.retryAfter));
      res.status(faults.status).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(faults.status), detail: 'Injected failure' });
      return;
    }
    next();
  });
  app.use('/scim/v2', new SCIMMYRouters({
    type: 'bearer', docUri: 'https://scim.test/auth',
    handler: (request: express.Request) => {
      if (request.header('Authorization') !== `Bearer ${token}`) throw new Error('Authorization failed');
      return 'gatehouse';
    },
  }));

  let server: Server | undefined;
  await new Promise<void>((resolve) => { server = app.listen(0, '127.0.0.1', () => resolve()); });
  server_.baseUrl = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/scim/v2`;
  server_.close = () => new Promise((resolve) => server!.close(() => resolve()));
  return server_;
}

/**
 * A fresh Gatehouse and SCIM server for each test of a suite: registers the hooks and returns
 * getters, so suites share the set-up instead of repeating it.
 */
export function gatehouseWithScim(env: Record<string, string> = {}) {
  let h: Harness | undefined;
  let scim: ScimServer | undefined;
  beforeEach(async () => {
    h = await startGatehouse(env);
    scim = await startScimServer();
  });
  afterEach(async () => {
    await scim?.close();
    await h?.close();
  });
  return { get h() { return h!; }, get scim() { return scim!; } };
}
