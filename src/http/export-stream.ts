import type { Response } from 'express';
import type { AppContext } from '../context';
import { EXPORT_CONTENT_TYPES, exportEvents, writableSink, type ExportFormat } from '../insights/export';
import type { EventFilter } from '../store';

/**
 * Answer with an event export, streamed (see insights/export.ts). Until the first page is
 * written a failure is an ordinary error answer (the error middleware); after that the status
 * line is gone, so the response is cut off without its terminating chunk (RFC 9112 §7.1): a
 * client sees an incomplete transfer instead of a short file that looks whole.
 */
export async function sendEventExport(ctx: AppContext, res: Response, filter: Omit<EventFilter, 'limit'>, format: ExportFormat): Promise<void> {
  const stamp = ctx.clock.now().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  res.setHeader('Content-Disposition', `attachment; filename="gatehouse-events-${stamp}.${format}"`);
  res.type(EXPORT_CONTENT_TYPES[format]);
  // Express answers HEAD with the GET route; a body it would discard is not worth reading the store for.
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    const result = await exportEvents(ctx.store.events, filter, format, writableSink(res));
    if (result.complete) res.end();
    else ctx.log.info('Event export stopped: the client went away', { rows: result.rows });
  } catch (error) {
    if (!res.headersSent) {
      // Nothing was sent: the error middleware answers, as itself (JSON or HTML), not as a file.
      res.removeHeader('Content-Disposition');
      res.removeHeader('Content-Type');
      throw error;
    }
    ctx.log.error('Event export failed after it started; the response was cut off', { error });
    res.destroy();
  }
}
