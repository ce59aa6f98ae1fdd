import { expect } from 'chai';
import { isPrivateAddress } from '../../src/scim/target';

describe('SCIM targets: the SSRF guard (src/scim/target.ts)', () => {
  for (const [ip, isPrivate] of [
    ['10.1.2.3', true], ['172.16.0.1', true], ['172.31.255.255', true], ['172.32.0.1', false], ['192.168.1.1', true],
    ['127.0.0.1', true], ['169.254.169.254', true], ['100.64.1.1', true], ['0.0.0.0', true], ['8.8.8.8', false], ['52.1.2.3', false],
    ['::1', true], ['fd00::1', true], ['fe80::1', true], ['::ffff:127.0.0.1', true], ['::ffff:8.8.8.8', false], ['2606:4700::1111', false],
  ] as const) {
    it(`${ip} is ${isPrivate ? 'refused' : 'allowed'}`, () => {
      expect(isPrivateAddress(ip)).to.equal(isPrivate);
    });
  }
});
