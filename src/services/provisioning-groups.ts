import type { AppContext } from '../context';
import type { ScimClient } from '../scim/client';
import type { Application } from '../store';
import { syncGroup } from './provisioning-group-sync';

/**
 * Group provisioning, when the app's catalog entry supports SCIM groups and the admin enabled
 * "management of User Groups and Group Membership" (the seeds' Group Management Considerations):
 * empty groups are not created; a remote group with the same name is taken over; membership and
 * renames sync on every change; an unbound group stops syncing (the remote group stays); a group
 * deleted in Gatehouse is deleted remotely; switching group management off leaves remote groups.
 */
export const GROUP_SUBJECT = 'group:';

export async function enqueueGroup(ctx: AppContext, appId: string, groupId: string): Promise<void> {
  const connection = await ctx.store.idm.find(appId);
  if (!connection?.active || !connection.groupsEnabled) return;
  await ctx.store.provisioning.enqueue(appId, `${GROUP_SUBJECT}${groupId}`, ctx.clock.now().toISOString());
}

/** The group's jobs in every app it is bound to (membership, rename, deletion). */
export async function enqueueGroupEverywhere(ctx: AppContext, groupId: string, appIds?: string[]): Promise<void> {
  const ids = appIds ?? (await ctx.store.applications.listForGroup(groupId)).map((a) => a.id);
  for (const appId of ids) await enqueueGroup(ctx, appId, groupId);
}

/**
 * A user's groups, with the apps each is bound to, read before a change that affects their
 * remote membership (a deletion cascades the memberships away), then queued by
 * `enqueueGroupsOf` inside the change's transaction.
 */
export async function groupsOfUser(ctx: AppContext, userId: string): Promise<{ groupId: string; appIds: string[] }[]> {
  const out: { groupId: string; appIds: string[] }[] = [];
  for (const group of await ctx.store.groups.listGroupsOfUser(userId)) {
    out.push({ groupId: group.id, appIds: (await ctx.store.applications.listForGroup(group.id)).map((a) => a.id) });
  }
  return out;
}

export async function enqueueGroupsOf(ctx: AppContext, groups: { groupId: string; appIds: string[] }[]): Promise<void> {
  for (const { groupId, appIds } of groups) await enqueueGroupEverywhere(ctx, groupId, appIds);
}

/** After a user is created or linked remotely, the groups they belong to in this app sync again. */
export async function enqueueGroupsOfUserInApp(ctx: AppContext, appId: string, userId: string): Promise<void> {
  const bound = new Set((await ctx.store.applications.listBoundGroups(appId)).map((g) => g.id));
  for (const group of await ctx.store.groups.listGroupsOfUser(userId)) if (bound.has(group.id)) await enqueueGroup(ctx, appId, group.id);
}

export async function reconcileGroup(ctx: AppContext, app: Application, client: ScimClient, groupId: string) {
  const outcomes: { type: string; outcome: 'success'; detail?: Record<string, unknown> }[] = [];
  const connection = await ctx.store.idm.find(app.id);
  if (!connection?.groupsEnabled) return outcomes;
  const group = await ctx.store.groups.findById(groupId);
  const link = await ctx.store.provisioning.findGroupLink(app.id, groupId);
  if (!group) {
    if (link) {
      await client.call('DELETE', `/Groups/${encodeURIComponent(link.remoteId)}`);
      await ctx.store.provisioning.deleteGroupLink(app.id, groupId);
      outcomes.push({ type: 'group_delete_provision', outcome: 'success', detail: { remoteId: link.remoteId } });
    }
    return outcomes;
  }
  const bound = (await ctx.store.applications.listBoundGroups(app.id)).some((g) => g.id === groupId);
  if (!bound) {
    // Unbound: Gatehouse stops managing it; the remote group is left as it is.
    if (link) await ctx.store.provisioning.deleteGroupLink(app.id, groupId);
    return outcomes;
  }
  outcomes.push(...(await syncGroup(ctx, app, client, groupId, group.name, link)));
  return outcomes;
}
