import { expect } from 'chai';
import { startGatehouse } from '../helpers/harness';
import { signIn } from '../helpers/harness';

describe('First start', () => {
  it('creates the admin with a generated password, printed once, that signs in', async () => {
    const h = await startGatehouse({ GATEHOUSE_ADMIN_PASSWORD: '', GATEHOUSE_ADMIN_EMAIL: 'root@example.com' });
    try {
      const line = h.printed.find((l) => l.includes('password:'));
      const password = line?.split('password:')[1].trim();
      expect(password).to.have.length.greaterThan(15);
      const { res } = await signIn(h, 'root@example.com', password!);
      expect(res.status).to.equal(303);
      const [event] = await h.ctx.store.events.list({ type: 'user_create', limit: 1 });
      expect(event.actorType).to.equal('system');
      expect(JSON.stringify(event)).not.to.contain(password!);
    } finally {
      await h.close();
    }
  });

  it('prints nothing when the password is configured', async () => {
    const h = await startGatehouse();
    try {
      expect(h.printed).to.deep.equal([]);
    } finally {
      await h.close();
    }
  });
});
