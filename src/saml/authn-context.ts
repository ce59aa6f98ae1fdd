import { AUTHN_CONTEXT } from './types';

/**
 * RequestedAuthnContext (SAML core §3.3.2.2.1): which AuthnContextClassRef the assertion states.
 * `offered` lists the classes that truthfully describe how the user signed in, weakest first
 * (over TLS: Password, then PasswordProtectedTransport; with a TOTP code, TimeSyncToken last). Returns undefined when nothing offered
 * satisfies the request, which the caller answers with NoAuthnContext.
 */
export type AuthnContextComparison = 'exact' | 'minimum' | 'maximum' | 'better';

/** Strength order of the classes Gatehouse can assert; unknown classes (X509, Kerberos…) rank nowhere. */
const STRENGTH: Record<string, number> = {
  [AUTHN_CONTEXT.password]: 1,
  [AUTHN_CONTEXT.passwordProtectedTransport]: 2,
  [AUTHN_CONTEXT.timeSyncToken]: 3,
};

export function chooseAuthnContext(
  requested: { classRefs: string[]; comparison: AuthnContextComparison }, offered: readonly string[],
): string | undefined {
  const strongest = offered[offered.length - 1];
  if (requested.classRefs.length === 0) return strongest;
  const ranks = requested.classRefs.map((ref) => STRENGTH[ref]).filter((r): r is number => r !== undefined);
  switch (requested.comparison) {
    case 'exact':
      // The first requested class we can state, in the SP's order of preference.
      if (requested.classRefs.includes(AUTHN_CONTEXT.unspecified)) return strongest;
      return requested.classRefs.find((ref) => offered.includes(ref));
    case 'minimum':
      return ranks.length && STRENGTH[strongest] >= Math.min(...ranks) ? strongest : undefined;
    case 'better':
      return ranks.length && STRENGTH[strongest] > Math.min(...ranks) ? strongest : undefined;
    case 'maximum': {
      const ceiling = Math.max(...ranks, 0);
      return [...offered].reverse().find((ref) => STRENGTH[ref] !== undefined && STRENGTH[ref] <= ceiling);
    }
  }
}
