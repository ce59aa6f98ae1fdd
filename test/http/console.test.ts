import { expect } from 'chai';
import { createApplication, createGroup, createUser, signIn, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';

describe('User console at /', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  it('shows exactly the active, visible apps the user is authorized for, with logo or colour, and filters with ?q=', async () => {
    const user = await createUser(h);
    const group = await createGroup(h);
    await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
    const make = async (label: string, extra: Record<string, unknown> = {}, bind = true) => {
      const app = await createApplication(h, wikiApplication({ displayLabel: label, description: `${label} description`, ...extra }));
      if (bind) await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
      return app;
    };
    await make('Alpha Wiki');
    await make('Beta Board', { portal: { image: 'color', color: '#aa3377' } });
    await make('Hidden Tool', { showInPortal: false });
    const off = await make('Paused Tracker');
    await h.api().patch(`/api/v1/applications/${off.id}`).send({ ssoActive: false }).expect(200);
    await make('Not Mine', {}, false);
    for (let i = 0; i < 6; i++) await make(`Extra ${i}`);

    const { agent } = await signIn(h, user.username, user.password);
    const page = (await agent.get('/').expect(200)).text;
    const labels = [...page.matchAll(/<strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
    expect(labels).to.include.members(['Alpha Wiki', 'Beta Board']);
    expect(labels).not.to.include.members(['Hidden Tool']);
    for (const hidden of ['Hidden Tool', 'Paused Tracker', 'Not Mine']) expect(page).not.to.contain(hidden);
    expect(page).to.contain('src="/catalog/custom-saml/logo.svg"');
    expect(page).to.contain(`src="data:image/svg+xml,`);
    expect(page).to.contain('Alpha Wiki description');
    expect(page).to.contain('<input id="q" type="search"');
    const filtered = (await agent.get('/?q=beta').expect(200)).text;
    expect(filtered).to.contain('Beta Board');
    expect(filtered).not.to.contain('Alpha Wiki');
    const none = (await agent.get('/?q=zzz').expect(200)).text;
    expect(none).to.contain('None of your applications matches');
  });

  it('has a clear empty state for a user with no applications', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const page = (await agent.get('/').expect(200)).text;
    expect(page).to.contain('No applications yet.');
    expect(page).not.to.contain('type="search"');
  });
});
