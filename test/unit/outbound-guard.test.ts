import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { isPrivateAddress, nonPublicReason, parseAddress } from '../../src/net/address';
import { checkTarget, OutboundError, type OutboundGuard } from '../../src/net/outbound-guard';
import { outboundRequest } from '../../src/net/outbound-request';

describe('Outbound calls: the SSRF guard (src/net)', () => {
  describe('judges every spelling of an address by its bytes', () => {
    for (const [ip, isPrivate] of [
      // IPv4
      ['10.1.2.3', true], ['172.16.0.1', true], ['172.31.255.255', true], ['172.32.0.1', false], ['192.168.1.1', true],
      ['127.0.0.1', true], ['169.254.169.254', true], ['100.64.1.1', true], ['0.0.0.0', true], ['8.8.8.8', false], ['52.1.2.3', false],
      ['192.0.2.1', true], ['198.51.100.7', true], ['203.0.113.9', true], ['224.0.0.1', true], ['255.255.255.255', true],
      // IPv6 proper
      ['::', true], ['::1', true], ['0:0:0:0:0:0:0:1', true], ['fd00::1', true], ['fc00::1', true], ['fe80::1', true], ['fe80::1%eth0', true],
      ['febf::1', true], ['fec0::1', true], ['ff02::1', true], ['2001:db8::1', true], ['3fff::1', true], ['100::1', true],
      ['2606:4700::1111', false], ['2a00:1450:4001:82a::200e', false],
      // IPv4-mapped ::ffff:0:0/96, dotted and hex, expanded and compressed
      ['::ffff:127.0.0.1', true], ['::ffff:7f00:1', true], ['::FFFF:7F00:0001', true], ['0:0:0:0:0:ffff:7f00:1', true],
      ['::ffff:169.254.169.254', true], ['::ffff:a9fe:a9fe', true], ['::ffff:10.0.0.5', true], ['::ffff:8.8.8.8', false], ['::ffff:808:808', false],
      // IPv4-translated ::ffff:0:0:0/96 and IPv4-compatible ::/96
      ['::ffff:0:7f00:1', true], ['::127.0.0.1', true], ['::7f00:1', true], ['::2', true], ['::8.8.8.8', false],
      // NAT64 64:ff9b::/96 (well-known) and 64:ff9b:1::/48 (local use)
      ['64:ff9b::7f00:1', true], ['64:ff9b::127.0.0.1', true], ['64:ff9b::a9fe:a9fe', true], ['64:ff9b::808:808', false], ['64:ff9b:1::808:808', true],
      // 6to4 2002::/16 and Teredo 2001::/32 (client address stored inverted)
      ['2002:7f00:1::', true], ['2002:a9fe:a9fe::1', true], ['2002:808:808::1', false],
      ['2001:0:4136:e378:8000:63bf:80ff:fffe', true], ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', false], ['2001:0:a00:1::f7f7:f7f7', true],
      // not addresses at all: refused, never guessed
      ['example.com', true], ['1.2.3', true], ['01.2.3.4', true], ['1:2:3:4:5:6:7:8:9', true], ['1::2::3', true], ['::1.2.3.4:5', true],
    ] as const) {
      it(`${ip} is ${isPrivate ? 'refused' : 'allowed'}`, () => {
        expect(isPrivateAddress(ip), nonPublicReason(ip)).to.equal(isPrivate);
      });
    }
    it('expands :: and dotted tails to the same bytes', () => {
      expect(parseAddress('::ffff:127.0.0.1')).to.deep.equal(parseAddress('0:0:0:0:0:ffff:7f00:0001'));
      expect(nonPublicReason('[::ffff:169.254.169.254]')).to.equal('IPv4-mapped link-local');
    });
  });

  describe('checks the address actually connected to', () => {
    let server: http.Server;
    let port: number;
    let hits = 0;
    before(async () => {
      server = http.createServer((req, res) => {
        hits += 1;
        if (req.url === '/declared') return res.end('x'.repeat(4096)); // with Content-Length
        if (req.url === '/streamed') { res.write('x'.repeat(1000)); res.write('x'.repeat(1000)); return res.end(); } // chunked
        res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const options = (guard: OutboundGuard) => ({ method: 'GET', headers: {}, timeoutMs: 2000, maxBodyBytes: 1024, guard });

    it('refuses the connect when a host name resolved to a public address at save time and to loopback later (DNS rebinding)', async () => {
      const answers = [['93.184.216.34'], ['127.0.0.1']];
      const asked: string[] = [];
      const guard: OutboundGuard = { allowPrivate: false, resolve: async (host) => { asked.push(host); return answers.shift() ?? ['127.0.0.1']; } };
      const url = `http://scim.rebind.test:${port}/scim/v2/Users`;
      await checkTarget(guard, url); // the save-time check sees the public answer and passes
      const refused = await outboundRequest(url, options(guard)).then(() => undefined, (error: unknown) => error);
      expect(refused).to.be.instanceOf(OutboundError);
      expect(refused).to.include({ kind: 'private_target' });
      expect((refused as Error).message).to.contain('resolves to 127.0.0.1');
      expect(asked).to.deep.equal(['scim.rebind.test', 'scim.rebind.test']);
      expect(hits).to.equal(0);
    });

    it('refuses an IP literal before any socket is opened (lookup is not called for literals)', async () => {
      let resolved = 0;
      const guard: OutboundGuard = { allowPrivate: false, resolve: async () => { resolved += 1; return ['93.184.216.34']; } };
      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]']) {
        const refused = await outboundRequest(`http://${host}:${port}/`, options(guard)).then(() => undefined, (error: unknown) => error);
        expect(refused, host).to.include({ kind: 'private_target' });
      }
      expect(resolved).to.equal(0);
      expect(hits).to.equal(0);
    });

    it('cuts off an answer larger than the cap, declared or streamed', async () => {
      const guard: OutboundGuard = { allowPrivate: true, resolve: async () => ['127.0.0.1'] };
      for (const path of ['/declared', '/streamed']) {
        const refused = await outboundRequest(`http://127.0.0.1:${port}${path}`, options(guard)).then(() => undefined, (error: unknown) => error);
        expect(refused, path).to.include({ kind: 'too_large' });
        expect((refused as Error).message).to.contain('larger than');
      }
    });

    it('connects when private targets are allowed, to the address the resolver gave', async () => {
      const guard: OutboundGuard = { allowPrivate: true, resolve: async () => ['127.0.0.1'] };
      const before = hits;
      const answer = await outboundRequest(`http://scim.onprem.test:${port}/`, options(guard));
      expect(answer.status).to.equal(200);
      expect(answer.body.toString()).to.equal('{}');
      expect(hits).to.equal(before + 1);
    });
  });
});
