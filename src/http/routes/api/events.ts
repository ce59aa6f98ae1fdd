import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../../context';
import { badRequest } from '../../../errors';
import { EXPORT_FORMATS, type ExportFormat } from '../../../insights/export';
import { parseInput } from '../../../services/validation';
import { sendEventExport } from '../../export-stream';

const isoTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time').transform((v) => new Date(v).toISOString());

const eventFilter = z.strictObject({
  type: z.string().max(100).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  actorId: z.string().max(100).optional(),
  targetId: z.string().max(100).optional(),
  appId: z.string().max(100).optional(),
  userId: z.string().max(100).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  before: z.coerce.number().int().positive().optional(),
});

const eventQuery = eventFilter.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function exportFormat(value: unknown): ExportFormat {
  if (typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  throw badRequest('export.format', `format must be one of ${EXPORT_FORMATS.join(', ')} (for example ?format=csv).`);
}

/**
 * Directory Insights events, newest first; page with `before=<id of the last event seen>`.
 * `/events/export` streams every matching event at once (no cap), as CSV or JSON Lines.
 */
export function eventsApi(ctx: AppContext): Router {
  const router = Router();
  router.get('/events', async (req, res) => {
    const filter = parseInput(eventQuery, req.query);
    const items = await ctx.store.events.list(filter);
    const next = items.length === filter.limit ? items[items.length - 1].id : undefined;
    res.json({ items, next });
  });
  router.get('/events/export', async (req, res) => {
    // The list's filters (`before` resumes an export that was cut off) and a format, but no limit.
    const { format, ...query } = req.query;
    const exportAs = exportFormat(format);
    await sendEventExport(ctx, res, parseInput(eventFilter, query), exportAs);
  });
  return router;
}
