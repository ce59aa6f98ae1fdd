import crypto from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../context';
import { assertThat, notFound } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import type { Group } from '../store';
import { enqueueForUser } from './provisioning';
import { enqueueGroupEverywhere } from './provisioning-groups';
import { getUser, userTarget } from './users';
import { parseInput, xmlText } from './validation';

/** Groups and memberships; a group's name travels in the `groups` SAML attribute, so it is XML-safe. */
const groupFields = {
  name: xmlText(200).trim().min(1, 'is required'),
  description: z.string().max(1000).default(''),
};

export async function createGroup(ctx: AppContext, meta: RequestMeta, input: unknown): Promise<Group> {
  const data = parseInput(z.strictObject(groupFields), input);
  const now = ctx.clock.now().toISOString();
  const group: Group = { id: crypto.randomUUID(), name: data.name, description: data.description, createdAt: now, updatedAt: now };
  await ctx.store.groups.create(group);
  await ctx.insights.record(meta, { type: 'group_create', outcome: 'success', target: groupTarget(group) });
  return group;
}

export async function getGroup(ctx: AppContext, id: string): Promise<Group> {
  const group = await ctx.store.groups.findById(id);
  assertThat(group, () => notFound('groups.not_found', 'No group has this id.'));
  return group;
}

export async function updateGroup(ctx: AppContext, meta: RequestMeta, id: string, input: unknown): Promise<Group> {
  const changes = parseInput(z.strictObject({ name: groupFields.name.optional(), description: z.string().max(1000).optional() }), input);
  await getGroup(ctx, id);
  return ctx.store.transaction(async () => {
    await ctx.store.groups.update(id, changes, ctx.clock.now().toISOString());
    const group = await getGroup(ctx, id);
    await ctx.insights.record(meta, { type: 'group_update', outcome: 'success', target: groupTarget(group) });
    await enqueueGroupEverywhere(ctx, id); // renames sync
    return group;
  });
}

export async function deleteGroup(ctx: AppContext, meta: RequestMeta, id: string): Promise<void> {
  const group = await getGroup(ctx, id);
  const members = await ctx.store.groups.listMembers(id);
  const boundApps = (await ctx.store.applications.listForGroup(id)).map((a) => a.id);
  await ctx.store.transaction(async () => {
    await ctx.store.groups.delete(id);
    await ctx.insights.record(meta, { type: 'group_delete', outcome: 'success', target: groupTarget(group) });
    for (const member of members) await enqueueForUser(ctx, member.id);
    await enqueueGroupEverywhere(ctx, id, boundApps); // deleted remotely too
  });
}

export async function addMember(ctx: AppContext, meta: RequestMeta, groupId: string, userId: string): Promise<void> {
  const group = await getGroup(ctx, groupId);
  const user = await getUser(ctx, userId);
  await ctx.store.transaction(async () => {
    if (await ctx.store.groups.addMember(groupId, userId)) {
      await ctx.insights.record(meta, { type: 'group_member_add', outcome: 'success', target: groupTarget(group), detail: { user: userTarget(user) } });
      await enqueueForUser(ctx, userId);
      await enqueueGroupEverywhere(ctx, groupId);
    }
  });
}

export async function removeMember(ctx: AppContext, meta: RequestMeta, groupId: string, userId: string): Promise<void> {
  const group = await getGroup(ctx, groupId);
  await ctx.store.transaction(async () => {
    const removed = await ctx.store.groups.removeMember(groupId, userId);
    assertThat(removed, () => notFound('groups.not_a_member', 'This user is not a member of the group.'));
    await ctx.insights.record(meta, { type: 'group_member_remove', outcome: 'success', target: groupTarget(group), detail: { userId } });
    await enqueueForUser(ctx, userId);
    await enqueueGroupEverywhere(ctx, groupId);
  });
}

export function groupTarget(group: Group) {
  return { type: 'group', id: group.id, label: group.name };
}
