import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../../src/store';
import { freshPostgresUrl, postgresAvailable } from '../../helpers/postgres';

/**
 * The store contract suite runs every case against every driver: SQLite always, PostgreSQL when
 * its server binaries are installed (always in CI). `open()` gives a fresh, empty store; the
 * suite closes what it opened.
 */
export interface DriverRig {
  kind: Store['kind'];
  /** A fresh, empty store of this driver. */
  open(): Promise<Store>;
  /**
   * A fresh, empty database that several stores or processes open, as instances do: its URL.
   * SQLite's is a file (each connection to :memory: is a database of its own), removed after the suite.
   */
  sharedUrl(): Promise<string>;
}

const DRIVERS: { name: string; kind: Store['kind']; available: () => boolean; url: () => Promise<string>; sharedUrl: (dir: () => string) => Promise<string> }[] = [
  { name: 'SQLite', kind: 'sqlite', available: () => true, url: async () => 'sqlite::memory:', sharedUrl: async (dir) => `sqlite:${path.join(dir(), 'gatehouse.db')}` },
  { name: 'PostgreSQL', kind: 'postgres', available: postgresAvailable, url: freshPostgresUrl, sharedUrl: freshPostgresUrl },
];

export function forEachDriver(title: string, body: (rig: DriverRig) => void): void {
  for (const driver of DRIVERS) {
    (driver.available() ? describe : describe.skip)(`${title} (${driver.name})`, function () {
      this.timeout(60_000);
      const opened: Store[] = [];
      const dirs: string[] = [];
      after(async () => {
        await Promise.all(opened.map((s) => s.close()));
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
      });
      body({
        kind: driver.kind,
        async open() {
          const store = await openStore(await driver.url(), { poolSize: 10 });
          opened.push(store);
          return store;
        },
        sharedUrl: () => driver.sharedUrl(() => {
          dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-contract-')));
          return dirs[dirs.length - 1];
        }),
      });
    });
  }
}
