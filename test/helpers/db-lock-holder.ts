// A process holding a database's write lock (argv: the database file), as a sqlite3 shell left in a
// transaction or a script does: BEGIN IMMEDIATE, "held" on stdout, then ROLLBACK when its stdin closes.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2] ?? '', { fileMustExist: true });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('held\n');
process.stdin.resume();
process.stdin.on('end', () => {
  db.exec('ROLLBACK');
  db.close();
  process.exit(0);
});
