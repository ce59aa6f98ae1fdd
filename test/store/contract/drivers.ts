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
}

const DRIVERS: { name: string; kind: Store['kind']; available: () => boolean; url: () => Promise<string> }[] = [
  { name: 'SQLite', kind: 'sqlite', available: () => true, url: async () => 'sqlite::memory:' },
  { name: 'PostgreSQL', kind: 'postgres', available: postgresAvailable, url: freshPostgresUrl },
];

export function forEachDriver(title: string, body: (rig: DriverRig) => void): void {
  for (const driver of DRIVERS) {
    (driver.available() ? describe : describe.skip)(`${title} (${driver.name})`, function () {
      this.timeout(60_000);
      const opened: Store[] = [];
      after(async () => { await Promise.all(opened.map((s) => s.close())); });
      body({
        kind: driver.kind,
        async open() {
          const store = await openStore(await driver.url(), { poolSize: 10 });
          opened.push(store);
          return store;
        },
      });
    });
  }
}
