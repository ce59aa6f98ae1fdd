import { expect } from 'chai';
import { base32Decode, base32Encode, hotp, otpauthUri, verifyTotp } from '../../src/crypto/totp';

describe('TOTP (src/crypto/totp.ts)', () => {
  // RFC 6238 Appendix B, SHA-1 rows, secret "12345678901234567890"; we use 6 digits (the last six).
  const secret = Buffer.from('12345678901234567890', 'ascii');
  for (const [time, code] of [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037'], [20000000000, '353130']] as const) {
    it(`matches RFC 6238 at T=${time}`, () => {
      expect(hotp(secret, Math.floor(time / 30))).to.equal(code);
      expect(verifyTotp(base32Encode(secret), code, new Date(time * 1000), null)).to.equal(Math.floor(time / 30));
    });
  }

  it('accepts one step of drift either side, and each step only once', () => {
    const b32 = base32Encode(secret);
    const at = new Date(1111111111 * 1000);
    const previous = hotp(secret, Math.floor(1111111111 / 30) - 1);
    const step = verifyTotp(b32, previous, at, null)!;
    expect(step).to.equal(Math.floor(1111111111 / 30) - 1);
    expect(verifyTotp(b32, previous, at, step)).to.equal(undefined);
    expect(verifyTotp(b32, hotp(secret, Math.floor(1111111111 / 30) - 2), at, null)).to.equal(undefined);
    expect(verifyTotp(b32, '12345', at, null)).to.equal(undefined);
  });

  it('round-trips base32 and builds the otpauth URI apps scan', () => {
    expect(base32Decode(base32Encode(secret)).equals(secret)).to.equal(true);
    expect(base32Encode(Buffer.from('foobar'))).to.equal('MZXW6YTBOI');
    expect(otpauthUri('Gatehouse', 'ada@example.com', 'ABC')).to.equal('otpauth://totp/Gatehouse%3Aada%40example.com?secret=ABC&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30');
  });
});
