import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ADMIN_PASSWORD, ADMIN_TOKEN, signIn, startGatehouse, type Harness } from '../helpers/harness';
import type { EventFilter, EventRecord, NewEvent } from '../../src/store';

/**
 * Streamed exports (issue 11 #1): no row cap, newest first, a snapshot of the moment they start,
 * and paced by the reader. The store's `events.list` is wrapped to count the pages the export
 * reads (an observation hook; the real store answers) and, in two cases, to act between pages.
 */
const BULK = 12_500;
const WIDE = 8_000;
/** 4 KB per event: 4 MB per 1,000-event page, so socket buffers cannot swallow the whole export. */
const PAD = 'x'.repeat(4096);

function event(h: Harness, type: string, i: number, detail: Record<string, unknown> = { i }): NewEvent {
  return {
    time: h.clock.now().toISOString(), type, outcome: i % 2 ? 'failure' : 'success', reason: i % 2 ? 'bulk.failed' : null,
    actorType: 'user', actorId: i % 5 === 0 ? 'user-five' : `user-${i}`, actorLabel: null, targetType: null, targetId: null,
    targetLabel: null, appId: null, clientIp: '192.0.2.1', detail,
  };
}

async function append(h: Harness, count: number, make: (i: number) => NewEvent): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - start) }, (_, k) => h.ctx.store.events.append(make(start + k))));
  }
}

type List = (filter: EventFilter) => Promise<EventRecord[]>;

/** Count `events.list` calls; `around` may act before a call (its number, from 1) reaches the store. */
function watchList(h: Harness, around?: (call: number, list: List, filter: EventFilter) => Promise<EventRecord[]> | undefined) {
  const events = h.ctx.store.events;
  const original = events.list;
  const seen = { calls: 0 };
  events.list = (filter) => {
    seen.calls += 1;
    return around?.(seen.calls, original, filter) ?? original(filter);
  };
  return { seen, restore: () => { events.list = original; } };
}

/** The CSV's data rows' ids (every cell is quoted; the header is the only unquoted line). */
function csvIds(text: string): number[] {
  return text.split('\r\n').filter((line) => line.startsWith('"')).map((line) => Number(line.slice(1, line.indexOf('"', 1))));
}

const descending = (ids: number[]) => ids.every((id, i) => i === 0 || id < ids[i - 1]);

async function settled(seen: { calls: number }): Promise<number> {
  // Wait until the export has read no page for a while: it is waiting for the reader, or done.
  let last = -1;
  while (seen.calls !== last) {
    last = seen.calls;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return last;
}

describe('Directory Insights exports, streamed', () => {
  let h: Harness;
  let server: http.Server;
  let port: number;
  before(async () => {
    h = await startGatehouse();
    await append(h, BULK, (i) => event(h, 'export_bulk', i));
    await append(h, WIDE, (i) => event(h, 'export_wide', i, { pad: PAD }));
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  /** A real client over a real port, so pausing it really stops the reads from the socket. */
  function get(path: string): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }, resolve).on('error', reject);
    });
  }

  it('when more than 10,000 events match, then the API exports all of them, newest first, with one header line', async () => {
    const res = await h.api().get('/api/v1/events/export?format=csv&type=export_bulk').buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="gatehouse-events-.*\.csv"$/);
    const lines = res.text.split('\r\n');
    expect(lines.filter((l) => l.startsWith('id,time,type'))).to.have.length(1);
    expect(lines[0]).to.equal('id,time,type,outcome,reason,actorType,actorId,actorLabel,targetType,targetId,targetLabel,appId,clientIp,detail');
    const ids = csvIds(res.text);
    expect(ids).to.have.length(BULK);
    expect(descending(ids)).to.equal(true);
  });

  it('when filtered, then JSON Lines hold exactly the matching events, on the API and in the portal', async () => {
    const res = await h.api().get('/api/v1/events/export?format=jsonl&type=export_bulk&outcome=failure&userId=user-five').buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('application/x-ndjson; charset=utf-8');
    const rows = res.text.trim().split('\n').map((line) => JSON.parse(line) as EventRecord);
    // i % 5 === 0 and odd: i = 5, 15, 25, … below 12,500.
    expect(rows).to.have.length(BULK / 10);
    expect(rows.every((e) => e.type === 'export_bulk' && e.outcome === 'failure' && e.actorId === 'user-five')).to.equal(true);
    expect(descending(rows.map((e) => e.id))).to.equal(true);

    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const portal = await agent.get('/admin/insights/export.csv?type=export_bulk&outcome=success&range=24h').buffer(true).expect(200);
    expect(portal.headers['content-disposition']).to.match(/^attachment; filename="gatehouse-events-.*\.csv"$/);
    expect(csvIds(portal.text)).to.have.length(BULK / 2);
  });

  it('when an event is appended while the export streams, then the export stops at the events that existed when it started', async () => {
    let appended = 0;
    const { restore } = watchList(h, (call, list, filter) => {
      // Call 1 finds the newest id, 2 reads the first page: append between the first and second page.
      if (call !== 3) return undefined;
      return h.ctx.store.events.append(event(h, 'export_bulk', 0)).then(async (id) => {
        appended = id ?? (await list({ type: 'export_bulk', limit: 1 }))[0].id;
        return list(filter);
      });
    });
    try {
      const res = await h.api().get('/api/v1/events/export?format=csv&type=export_bulk').buffer(true).expect(200);
      const ids = csvIds(res.text);
      expect(appended).to.be.greaterThan(0);
      expect(ids).to.have.length(BULK);
      expect(ids).not.to.include(appended);
    } finally {
      restore();
    }
    const later = await h.api().get('/api/v1/events/export?format=csv&type=export_bulk').buffer(true).expect(200);
    expect(csvIds(later.text)[0]).to.equal(appended);
  });

  it('when the client stops reading, then the server stops reading pages until it reads again', async () => {
    const pages = WIDE / 1000 + 1;
    const { seen, restore } = watchList(h);
    try {
      const res = await get('/api/v1/events/export?format=jsonl&type=export_wide');
      res.pause();
      const whilePaused = await settled(seen);
      expect(whilePaused, 'pages read while the client was not reading').to.be.lessThan(pages);

      let rows = 0;
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        rows += lines.length;
      });
      res.resume();
      await new Promise((resolve) => res.on('end', resolve));
      expect(rows).to.equal(WIDE);
      expect(seen.calls).to.be.greaterThan(whilePaused);
    } finally {
      restore();
    }
  });

  it('when the client disconnects, then the export reads no more pages', async () => {
    const { seen, restore } = watchList(h);
    try {
      const res = await get('/api/v1/events/export?format=csv&type=export_wide');
      await new Promise((resolve) => res.once('data', resolve));
      res.destroy();
      const atDisconnect = seen.calls;
      const after = await settled(seen);
      // A page already being read when the client left may finish; none is started after.
      expect(after - atDisconnect).to.be.at.most(1);
      expect(after).to.be.lessThan(WIDE / 1000 + 1);
    } finally {
      restore();
    }
  });

  it('when the store fails mid-stream, then the response is cut off; before the first byte, the answer is an error', async () => {
    const failing = watchList(h, (call) => (call === 3 ? Promise.reject(new Error('disk on fire')) : undefined));
    try {
      const res = await get('/api/v1/events/export?format=csv&type=export_bulk');
      expect(res.statusCode).to.equal(200);
      res.on('error', () => undefined);
      res.resume();
      await new Promise((resolve) => res.on('close', resolve));
      expect(res.complete, 'a client can tell the export is incomplete').to.equal(false);
    } finally {
      failing.restore();
    }

    const atOnce = watchList(h, () => Promise.reject(new Error('disk on fire')));
    try {
      const res = await h.api().get('/api/v1/events/export?format=csv').expect(500);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      expect(res.headers['content-disposition']).to.equal(undefined);
    } finally {
      atOnce.restore();
    }
  });

  it('when the format is missing or unknown, then the API answers 400 with a message naming the formats', async () => {
    for (const query of ['', '?format=xlsx', '?format=csv&format=jsonl']) {
      const res = await h.api().get(`/api/v1/events/export${query}`).expect(400);
      expect(res.body.code).to.equal('export.format');
      expect(res.body.message).to.contain('csv, jsonl');
    }
    const capped = await h.api().get('/api/v1/events/export?format=csv&limit=10').expect(422);
    expect(capped.body.message).to.contain('limit');
  });
});
