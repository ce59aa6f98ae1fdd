import { openStore } from '../../src/store';

/**
 * A worker that dies mid-job (test/cluster/provisioning-queue.test.ts): it opens the store on the
 * database given, claims one due job under a short lease, says which on stdout, then hangs until
 * the test kills it with SIGKILL, so nothing of it (no finally, no release) runs.
 * Usage: tsx claim-and-hang.ts <database URL> <now ISO> <lease seconds>
 */
async function main(): Promise<void> {
  const [url, now, leaseSeconds] = process.argv.slice(2);
  const store = await openStore(url, { poolSize: 1 });
  const jobs = await store.provisioning.claim(now, 1, Number(leaseSeconds), `doomed:${process.pid}`);
  process.stdout.write(`${JSON.stringify(jobs)}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
