import { expect } from 'chai';
import { chooseAuthnContext, type AuthnContextComparison } from '../../src/saml/authn-context';
import { AUTHN_CONTEXT } from '../../src/saml/types';

const { password: PW, passwordProtectedTransport: PPT, unspecified: ANY } = AUTHN_CONTEXT;
const X509 = 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509';
const overTls = [PW, PPT];
const plainHttp = [PW];

describe('RequestedAuthnContext (src/saml/authn-context.ts, core §3.3.2.2.1)', () => {
  const cases: [string, string[], AuthnContextComparison, readonly string[], string | undefined][] = [
    ['no request: the strongest true class', [], 'exact', overTls, PPT],
    ['exact PPT over TLS', [PPT], 'exact', overTls, PPT],
    ['exact Password over TLS: Password, as asked', [PW], 'exact', overTls, PW],
    ['exact PPT over plain http: cannot be said truthfully', [PPT], 'exact', plainHttp, undefined],
    ['exact X509 or Password: the first one we can state', [X509, PW], 'exact', overTls, PW],
    ['exact unspecified: anything', [ANY], 'exact', plainHttp, PW],
    ['exact X509 only', [X509], 'exact', overTls, undefined],
    ['minimum Password over TLS: our strongest', [PW], 'minimum', overTls, PPT],
    ['minimum PPT over plain http', [PPT], 'minimum', plainHttp, undefined],
    ['better than Password over TLS', [PW], 'better', overTls, PPT],
    ['better than PPT', [PPT], 'better', overTls, undefined],
    ['maximum Password over TLS: not stronger than asked', [PW], 'maximum', overTls, PW],
    ['maximum X509 (unknown strength)', [X509], 'maximum', overTls, undefined],
  ];
  for (const [label, classRefs, comparison, offered, expected] of cases) {
    it(`${label} → ${expected ?? 'NoAuthnContext'}`, () => {
      expect(chooseAuthnContext({ classRefs, comparison }, offered)).to.equal(expected);
    });
  }
});
