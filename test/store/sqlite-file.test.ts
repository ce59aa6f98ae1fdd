import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createStore } from '../../src/store';

describe('Store: the SQLite file', () => {
  it('is readable by its owner only, with its WAL files, even when it existed with a loose mode', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-store-'));
    const file = path.join(dir, 'nested', 'gatehouse.db');
    try {
      const store = createStore(`sqlite:${file}`);
      await store.settings.setIfAbsent('k', 'v');
      await store.close();
      expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
      fs.chmodSync(file, 0o644);
      const reopened = createStore(`sqlite:${file}`);
      await reopened.settings.setIfAbsent('k2', 'v2');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
      }
      expect(await reopened.settings.get('k')).to.equal('v');
      await reopened.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
