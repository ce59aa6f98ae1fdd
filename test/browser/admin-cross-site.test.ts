import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ADMIN_PASSWORD } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';

/**
 * The admin portal's SameSite=Strict cookie in a real browser: Gatehouse on 127.0.0.1, another
 * site on localhost with a link and a form aimed at /admin. The link lands on a "Continue" page
 * whose same-site link leads on; the form changes nothing (the HTTP tests cover a post that
 * carries the session cookie but not the Strict one).
 */
(chromiumAvailable() ? describe : describe.skip)('Admin portal in Chromium: links and forms from another site', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  let other: http.Server;
  let otherUrl: string;

  before(async () => {
    rig = await startBrowserRig('admin-cross-site');
    const target = rig.baseUrl;
    other = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><title>Another site</title>
        <a id="link" href="${target}/admin/users">Gatehouse users</a>
        <form id="forged" method="post" action="${target}/admin/groups"><input name="name" value="forged group"><button>Go</button></form>`);
    });
    await new Promise<void>((resolve) => other.listen(0, 'localhost', resolve));
    otherUrl = `http://localhost:${(other.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => other?.close(resolve));
    await rig?.close();
  });

  it('sends a cross-site link to a same-site "Continue" page, and a cross-site form changes nothing', async () => {
    const { page, baseUrl } = rig;
    await page.goto(`${baseUrl}/login`);
    await page.fill('#username', 'admin@gatehouse.local');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${baseUrl}/admin/applications`);

    await page.goto(otherUrl);
    await page.click('#link');
    await page.waitForURL(`${baseUrl}/admin/users`);
    expect(await page.locator('h1').textContent()).to.equal('Continue to the admin portal');
    await rig.shot('continue-page');
    await page.click('a.button.primary');
    await page.waitForURL(`${baseUrl}/admin/users`);
    expect(await page.locator('h1').first().textContent()).to.equal('Users');

    await page.goto(otherUrl);
    await page.click('#forged button');
    await page.waitForLoadState();
    // The Lax session cookie stays behind on a cross-site POST, so Gatehouse sees no admin at all.
    expect(page.url()).to.equal(`${baseUrl}/login`);
    await rig.shot('forged-form-refused');
    expect((await rig.h.ctx.store.groups.list({ q: 'forged', limit: 5, offset: 0 })).total).to.equal(0);
  });
});
