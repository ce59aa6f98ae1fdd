import type { AppContext } from '../context';
import type { ScimClient } from '../scim/client';
import { eqFilter } from '../scim/mapping';
import { sameResource } from '../scim/patch';
import type { Application, RemoteGroupLink } from '../store';

/**
 * One group's remote counterpart brought in line (the seeds' Group Management Considerations):
 * empty groups are not created; a remote group with the same name is taken over, keeping the
 * members only the SP knows; then membership and the name follow Gatehouse. A write goes out
 * only when the remote group would differ from what was last sent (README: nothing is sent
 * twice). Where the SP takes PATCH on /Groups (RFC 7644 §3.5.2) members are added and removed
 * one by one, and only members Gatehouse manages are ever removed; where it does not (Quip),
 * the remote member list is read first and the PUT (§3.5.1) carries the SP-only members.
 */
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Outcome = { type: string; outcome: 'success'; detail?: Record<string, unknown> };
interface RemoteGroup { id: string; displayName?: string; members?: { value: string }[] }

const path = (remoteId: string) => `/Groups/${encodeURIComponent(remoteId)}`;

/** By name: with a filter (RFC 7644 §3.4.2.2) where the SP has one, else by paging through the list. */
async function findRemoteGroup(client: ScimClient, name: string, filterable: boolean): Promise<RemoteGroup | undefined> {
  if (filterable) {
    const found = await client.call('GET', `/Groups?filter=${encodeURIComponent(eqFilter('displayName', name))}`);
    return (found.json as { Resources?: RemoteGroup[] })?.Resources?.[0];
  }
  // startIndex is 1-based (RFC 7644 §3.4.2.4); an SP may return fewer than `count` per page.
  let startIndex = 1;
  for (let pages = 0; pages < 100; pages++) {
    const page = (await client.call('GET', `/Groups?startIndex=${startIndex}&count=100`)).json as { Resources?: RemoteGroup[]; totalResults?: number };
    const resources = page?.Resources ?? [];
    const match = resources.find((g) => g.displayName === name);
    if (match) return match;
    startIndex += resources.length;
    if (resources.length === 0 || startIndex > (page?.totalResults ?? 0)) return undefined;
  }
  return undefined;
}

async function readRemoteGroup(client: ScimClient, remoteId: string): Promise<RemoteGroup> {
  return ((await client.call('GET', path(remoteId))).json ?? { id: remoteId }) as RemoteGroup;
}

/** The remote ids of the members the remote group should list: active in Gatehouse and existing remotely. */
async function wantedMembers(ctx: AppContext, appId: string, groupId: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const member of await ctx.store.groups.listMembers(groupId)) {
    const userLink = await ctx.store.provisioning.findLink(appId, member.id);
    if (userLink && member.state === 'active') ids.add(userLink.remoteId);
  }
  return [...ids].sort();
}

export async function syncGroup(ctx: AppContext, app: Application, client: ScimClient, groupId: string, name: string, link: RemoteGroupLink | undefined): Promise<Outcome[]> {
  const scim = ctx.catalog.get(app.catalogId)?.scim;
  const canPatch = scim?.groupPatch !== false;
  const wanted = { displayName: name, members: await wantedMembers(ctx, app.id, groupId) };
  const now = ctx.clock.now().toISOString();
  if (link?.sent && sameResource(link.sent, wanted)) return [];

  let remote: RemoteGroup | undefined;
  if (!link) {
    if (wanted.members.length === 0) return []; // empty groups are not created
    remote = await findRemoteGroup(client, name, scim?.groupFilter !== false);
    if (!remote) {
      const created = await client.call('POST', '/Groups', { schemas: [CORE_GROUP], displayName: name, members: wanted.members.map((value) => ({ value })) });
      const remoteId = (created.json as { id?: string })?.id ?? '';
      await ctx.store.provisioning.putGroupLink(app.id, groupId, remoteId, now, wanted);
      return [{ type: 'group_create_provision', outcome: 'success', detail: { remoteId, members: wanted.members.length } }];
    }
  }
  const remoteId = link?.remoteId ?? remote!.id;
  // What the remote group lists now: for a PATCH SP that Gatehouse has been writing, what it
  // last sent (the SP's own members are never touched); otherwise read from the SP, and always
  // afresh before a PUT, which replaces the member list (a list entry may omit members).
  if (!canPatch || !(link?.sent || remote)) remote = await readRemoteGroup(client, remoteId);
  const current = remote ? (remote.members ?? []).map((m) => m.value) : link!.sent!.members;
  const currentName = remote ? remote.displayName : link!.sent!.displayName;
  // Members Gatehouse manages: its provisioned users in this app, and whom it listed before.
  const managed = new Set([...(await ctx.store.provisioning.linkedRemoteIds(app.id)), ...(link?.sent?.members ?? [])]);
  const added = wanted.members.filter((id) => !current.includes(id));
  const removed = current.filter((id) => managed.has(id) && !wanted.members.includes(id));
  const renamed = currentName !== name;

  if (added.length || removed.length || renamed) {
    if (canPatch) {
      const operations: Record<string, unknown>[] = [];
      if (renamed) operations.push({ op: 'replace', path: 'displayName', value: name });
      if (added.length) operations.push({ op: 'add', path: 'members', value: added.map((value) => ({ value })) });
      for (const id of removed) operations.push({ op: 'remove', path: `members[${eqFilter('value', id)}]` });
      await client.call('PATCH', path(remoteId), { schemas: [PATCH_OP], Operations: operations });
    } else {
      const members = [...current.filter((id) => !removed.includes(id)), ...added].map((value) => ({ value }));
      await client.call('PUT', path(remoteId), { schemas: [CORE_GROUP], displayName: name, members });
    }
  }
  await ctx.store.provisioning.putGroupLink(app.id, groupId, remoteId, now, wanted);
  if (!added.length && !removed.length && !renamed && link) return [];
  return [{ type: 'group_update_provision', outcome: 'success', detail: {
    remoteId, members: wanted.members.length, added: added.length, removed: removed.length, ...(link ? {} : { takenOver: true }),
  } }];
}
