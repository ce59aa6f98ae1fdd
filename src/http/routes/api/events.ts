import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../../context';
import { parseInput } from '../../../services/validation';

const isoTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time').transform((v) => new Date(v).toISOString());

const eventQuery = z.strictObject({
  type: z.string().max(100).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  actorId: z.string().max(100).optional(),
  targetId: z.string().max(100).optional(),
  appId: z.string().max(100).optional(),
  userId: z.string().max(100).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Directory Insights events, newest first; page with `before=<id of the last event seen>`. */
export function eventsApi(ctx: AppContext): Router {
  const router = Router();
  router.get('/events', async (req, res) => {
    const filter = parseInput(eventQuery, req.query);
    const items = await ctx.store.events.list(filter);
    const next = items.length === filter.limit ? items[items.length - 1].id : undefined;
    res.json({ items, next });
  });
  return router;
}
