import { expect } from 'chai';
import request from 'supertest';
import { startGatehouse, type Harness } from '../helpers/harness';

describe('Security headers: HSTS only when PUBLIC_URL is https', () => {
  let h: Harness;
  afterEach(async () => { await h.close(); });

  it('sends Strict-Transport-Security on every answer when PUBLIC_URL is https (pages, API, health, errors)', async () => {
    h = await startGatehouse({ PUBLIC_URL: 'https://sso.example.com' });
    const answers = {
      page: await request(h.app).get('/login'),
      health: await request(h.app).get('/healthz'),
      api: await h.api().get('/api/v1/users'),
      notFound: await request(h.app).get('/no/such/page'),
    };
    for (const [name, res] of Object.entries(answers)) {
      expect(res.headers['strict-transport-security'], name).to.equal('max-age=31536000; includeSubDomains');
    }
  });

  it('sends no HSTS over plain http (browsers ignore it there, and it would pin localhost to https)', async () => {
    h = await startGatehouse();
    const res = await request(h.app).get('/login').expect(200);
    expect(res.headers).not.to.have.property('strict-transport-security');
  });
});
