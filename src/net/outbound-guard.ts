import dns from 'node:dns';
import net from 'node:net';
import { nonPublicReason } from './address';

/**
 * The SSRF guard for every outbound call Gatehouse makes (SCIM services today, SP metadata URLs
 * later). Admins type those URLs and the server calls them, so they must not reach the server's
 * own network: loopback, private, link-local (cloud metadata at 169.254.169.254), unique-local
 * and the other special-purpose ranges, in any spelling (see address.ts). Unless private targets
 * are allowed (an on-premises service), a URL is judged twice: when it is saved (checkTarget, for
 * a clear message) and at every connect (guardedLookup and the IP-literal check in
 * outbound-request.ts), on the very addresses the socket then uses, so a DNS answer that changes
 * after the save (DNS rebinding) is refused too.
 */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** The operating system's resolver (what Node's http would use by default). */
export const systemResolver: HostResolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((answer) => answer.address);

export interface OutboundGuard {
  /** True when loopback and private addresses may be called (SCIM_ALLOW_PRIVATE_TARGETS). */
  allowPrivate: boolean;
  /** Host name to addresses; a parameter so tests can give answers that change between calls. */
  resolve: HostResolver;
}

export type OutboundFailureKind = 'private_target' | 'unresolved' | 'timeout' | 'too_large' | 'tls' | 'network';

/** Why an outbound call did not happen or did not finish; `code` is the system error code, if any. */
export class OutboundError extends Error {
  constructor(readonly kind: OutboundFailureKind, message: string, readonly code?: string) {
    super(message);
    this.name = 'OutboundError';
  }
}

/** The host of a URL without IPv6 brackets, as resolvers and net.isIP expect it. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The refusal for these addresses of `host`, or undefined when all of them may be called. */
export function refusalFor(guard: OutboundGuard, host: string, addresses: string[]): OutboundError | undefined {
  if (guard.allowPrivate) return undefined;
  if (addresses.length === 0) return new OutboundError('unresolved', `The host ${host} has no address.`);
  for (const address of addresses) {
    const reason = nonPublicReason(address);
    if (reason) {
      const via = address === host ? '' : ` resolves to ${address}, which`;
      return new OutboundError('private_target', `${host}${via} is a ${reason} address; Gatehouse does not call loopback or private networks (set SCIM_ALLOW_PRIVATE_TARGETS for an on-premises service).`);
    }
  }
  return undefined;
}

/** Save-time check of a URL's host: resolves it and throws an OutboundError when it may not be called. */
export async function checkTarget(guard: OutboundGuard, url: string): Promise<void> {
  if (guard.allowPrivate) return;
  const host = hostOf(new URL(url));
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : await guard.resolve(host);
  } catch (error) {
    throw new OutboundError('unresolved', `The host ${host} could not be resolved.`, (error as { code?: string }).code);
  }
  const refusal = refusalFor(guard, host, addresses);
  if (refusal) throw refusal;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) and net.connect: resolves through the guard and hands the socket
 * only addresses that passed it. Node calls it for every host-name connection (never for IP
 * literals, which outbound-request.ts judges before connecting).
 */
export function guardedLookup(guard: OutboundGuard) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    guard.resolve(hostname).then((found) => {
      const refusal = refusalFor(guard, hostname, found);
      if (refusal) return callback(refusal, '');
      const family = typeof options.family === 'number' ? options.family : 0;
      const answers = found.map((address) => ({ address, family: net.isIP(address) }))
        .filter((answer) => answer.family !== 0 && (family === 0 || answer.family === family));
      if (answers.length === 0) {
        return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      }
      if (options.all) return callback(null, answers);
      return callback(null, answers[0].address, answers[0].family);
    }, (error: NodeJS.ErrnoException) => callback(error, ''));
  };
}
