// A process that tries to take a data folder's lock at an agreed instant (argv: folder, epoch ms), prints
// "got" or "refused", and, when it got it, holds it until its stdin closes (or it is killed).
import { lockDataDir, LockError } from '../../server/db/lock.js';

const [dataDir = '', at = '0'] = process.argv.slice(2);
while (Date.now() < Number(at)) {
  // Spin rather than sleep: every contender starts within a millisecond or so of the others.
}
try {
  const release = lockDataDir(dataDir);
  process.stdout.write('got\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    release();
    process.exit(0);
  });
} catch (err) {
  process.stdout.write(err instanceof LockError ? 'refused\n' : `error: ${String(err)}\n`);
  process.exit(1);
}
