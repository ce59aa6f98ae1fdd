import { Router, type Request } from 'express';
import { z } from 'zod';
import { allApplications, userChoices } from '../../../services/directory-lists';
import type { AppContext } from '../../../context';
import { parseInput } from '../../../services/validation';
import type { EventFilter } from '../../../store';
import { eventsChartSvg } from '../../chart';
import { sendEventExport } from '../../export-stream';
import { renderAdmin } from './common';

/**
 * Directory Insights in the admin portal: every event, filtered by type, application, user,
 * outcome and time range, newest first with paging, a chart of successes and failures over
 * time, and exports as CSV or JSON Lines with the same filters, streamed and without a row cap.
 */
const RANGES: Record<string, { hours: number; bucketSeconds: number }> = {
  '1h': { hours: 1, bucketSeconds: 300 },
  '24h': { hours: 24, bucketSeconds: 3600 },
  '7d': { hours: 24 * 7, bucketSeconds: 6 * 3600 },
  '30d': { hours: 24 * 30, bucketSeconds: 24 * 3600 },
};
const PAGE = 50;

const querySchema = z.object({
  type: z.string().max(100).optional().transform((v) => v || undefined),
  appId: z.string().max(100).optional().transform((v) => v || undefined),
  userId: z.string().max(100).optional().transform((v) => v || undefined),
  outcome: z.enum(['', 'success', 'failure']).optional().transform((v) => (v ? v : undefined)),
  range: z.enum(['1h', '24h', '7d', '30d']).default('24h'),
  before: z.coerce.number().int().positive().optional(),
});

export function adminInsights(ctx: AppContext): Router {
  const router = Router();

  function filterOf(req: Request) {
    const q = parseInput(querySchema, req.query);
    const range = RANGES[q.range];
    const until = ctx.clock.now();
    const since = new Date(until.getTime() - range.hours * 3_600_000);
    const filter: Omit<EventFilter, 'limit'> = {
      type: q.type, appId: q.appId, userId: q.userId, outcome: q.outcome, since: since.toISOString(), until: new Date(until.getTime() + 1000).toISOString(),
    };
    return { q, range, filter };
  }

  router.get('/insights', async (req, res) => {
    const { q, range, filter } = filterOf(req);
    const events = await ctx.store.events.list({ ...filter, before: q.before, limit: PAGE });
    const buckets = await ctx.store.events.histogram({ ...filter, since: filter.since!, until: filter.until! }, range.bucketSeconds);
    const label = (iso: string) => (range.bucketSeconds >= 86_400 ? iso.slice(5, 10) : iso.slice(11, 16));
    const apps = await allApplications(ctx);
    const users = await userChoices(ctx, q.userId, req.query.userQ);
    const params = new URLSearchParams(Object.entries({ type: q.type, appId: q.appId, userId: q.userId, outcome: q.outcome, range: q.range })
      .filter(([, v]) => v !== undefined) as [string, string][]).toString();
    renderAdmin(ctx, req, res, 'insights', 'insights', {
      title: 'Directory Insights', q, events, chart: eventsChartSvg(buckets, label), apps, users, params,
      next: events.length === PAGE ? events[events.length - 1].id : undefined,
      totals: { success: buckets.reduce((n, b) => n + b.success, 0), failure: buckets.reduce((n, b) => n + b.failure, 0) },
      appLabel: (id: string | null) => (id ? apps.find((a) => a.id === id)?.displayLabel ?? '(deleted)' : ''),
    });
  });

  for (const format of ['csv', 'jsonl'] as const) {
    router.get(`/insights/export.${format}`, async (req, res) => {
      await sendEventExport(ctx, res, filterOf(req).filter, format);
    });
  }
  return router;
}
