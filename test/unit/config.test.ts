import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, OPTIONS } from '../../src/config';

describe('Config from the environment', () => {
  it('starts on documented defaults', () => {
    const config = loadConfig({});
    expect(config).to.include({ port: 8080, publicUrl: 'http://localhost:8080', databaseUrl: 'sqlite:./data/gatehouse.db', nodeEnv: 'development' });
    expect(Object.isFrozen(config)).to.equal(true);
  });

  for (const [variable, value, pattern] of [
    ['PORT', 'eighty', /PORT must be a whole number/],
    ['PORT', '70000', /PORT must be between 0 and 65535/],
    ['PUBLIC_URL', 'not a url', /PUBLIC_URL must be an absolute URL/],
    ['PUBLIC_URL', 'https://sso.example.com/?q=1', /PUBLIC_URL must not contain/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must look like sqlite:<path>/],
    ['SESSION_SECRET', 'short', /SESSION_SECRET must be at least 32 characters/],
    ['GATEHOUSE_ADMIN_TOKEN', 'short', /GATEHOUSE_ADMIN_TOKEN must be at least 32 characters/],
    ['GATEHOUSE_KEY_ENCRYPTION_KEY', 'abcd', /GATEHOUSE_KEY_ENCRYPTION_KEY must be 32 bytes/],
    ['GATEHOUSE_ADMIN_EMAIL', 'nobody', /GATEHOUSE_ADMIN_EMAIL must be an e-mail address/],
    ['NODE_ENV', 'staging', /NODE_ENV must be one of/],
    ['WORKERS', 'two', /WORKERS must be a whole number or auto/],
    ['WORKERS', '0', /WORKERS must be between 1 and 64/],
  ] as const) {
    it(`stops with a message naming ${variable} when it is "${value}"`, () => {
      expect(() => loadConfig({ [variable]: value })).to.throw(ConfigError, pattern);
    });
  }

  it('runs one process by default, n with WORKERS=n, one per core with WORKERS=auto', () => {
    expect(loadConfig({}).workers).to.equal(1);
    expect(loadConfig({ WORKERS: '3' }).workers).to.equal(3);
    expect(loadConfig({ WORKERS: 'auto' }).workers).to.equal(os.availableParallelism());
  });

  it('refuses several workers on an in-memory SQLite store, which each process would hold alone', () => {
    expect(() => loadConfig({ WORKERS: '2', DATABASE_URL: 'sqlite::memory:' })).to.throw(ConfigError, /WORKERS must be 1 with DATABASE_URL=sqlite::memory:/);
    expect(loadConfig({ WORKERS: '1', DATABASE_URL: 'sqlite::memory:' }).workers).to.equal(1);
  });

  it('refuses development defaults in production, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /SESSION_SECRET is required/);
    const secrets = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(secrets)).to.throw(ConfigError, /GATEHOUSE_KEY_ENCRYPTION_KEY is required/);
    const withKey = { ...secrets, GATEHOUSE_KEY_ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(() => loadConfig(withKey)).to.throw(ConfigError, /PUBLIC_URL must be an https URL/);
    expect(loadConfig({ ...withKey, PUBLIC_URL: 'https://sso.example.com' }).publicUrl).to.equal('https://sso.example.com');
  });

  it('documents every option in README', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const option of OPTIONS) expect(readme, option.env).to.contain(`| \`${option.env}\` |`);
  });

  it('declares the options the issue names', () => {
    const documented = new Set(OPTIONS.map((o) => o.env));
    for (const name of ['PORT', 'PUBLIC_URL', 'DATABASE_URL', 'SESSION_SECRET', 'GATEHOUSE_ADMIN_EMAIL', 'GATEHOUSE_ADMIN_PASSWORD', 'GATEHOUSE_ADMIN_TOKEN']) {
      expect(documented.has(name), name).to.equal(true);
    }
  });
});
