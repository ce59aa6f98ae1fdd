import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { guardedLookup, hostOf, OutboundError, refusalFor, type OutboundGuard } from './outbound-guard';

/**
 * One outbound HTTP(S) exchange on node:http(s), the way every server-side call of Gatehouse
 * must go: through the SSRF guard at connect time, with one deadline for the whole exchange,
 * a cap on the answer's size (counted while it streams, so an endless or huge body is cut off
 * instead of read whole), and no redirects followed (node:http never follows them; a 3xx is
 * returned like any other answer). Global fetch cannot take a lookup hook without undici.
 */
export interface OutboundRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  guard: OutboundGuard;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

function classify(error: unknown): OutboundError {
  if (error instanceof OutboundError) return error;
  const code = (error as { code?: string }).code ?? '';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|EPROTO/.test(code)) {
    return new OutboundError('tls', `The TLS certificate was not accepted (${code}).`, code);
  }
  return new OutboundError('network', `The service could not be reached${code ? ` (${code})` : ''}.`, code || undefined);
}

export function outboundRequest(target: string, options: OutboundRequestOptions): Promise<OutboundResponse> {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new OutboundError('network', `Only http and https URLs are called, not ${url.protocol}.`));
  }
  // Node does not call `lookup` for an IP literal: judge it here, before any socket exists.
  const host = hostOf(url);
  const literalRefusal = net.isIP(host) ? refusalFor(options.guard, host, [host]) : undefined;
  if (literalRefusal) return Promise.reject(literalRefusal);

  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const tooLarge = () => new OutboundError('too_large', `The answer is larger than ${megabytes(options.maxBodyBytes)}, the most Gatehouse reads.`);
    const finish = (error: unknown, response?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) {
        resolve(response!);
      } else {
        request.destroy();
        reject(classify(error));
      }
    };
    const transport = url.protocol === 'https:' ? https : http;
    const headers = { ...options.headers, ...(options.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(options.body)) }) };
    const request = transport.request(url, { method: options.method, headers, agent: false, lookup: guardedLookup(options.guard) }, (response) => {
      if (Number(response.headers['content-length']) > options.maxBodyBytes) return finish(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBodyBytes) return finish(tooLarge());
        chunks.push(chunk);
      });
      response.on('end', () => finish(undefined, { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', finish);
      response.on('close', () => {
        if (!response.complete) finish(Object.assign(new Error('The answer was cut off.'), { code: 'ECONNRESET' }));
      });
    });
    timer = setTimeout(() => finish(new OutboundError('timeout', 'The service did not answer in time.')), options.timeoutMs);
    request.on('error', finish);
    request.end(options.body);
  });
}
