// npm run admin:create -- --email EMAIL [--name NAME] [--role admin|operator]
// The password is read from standard input (first line) or asked for at a hidden prompt: never from argv.
import { createInterface } from 'node:readline';
import { createUser, newUserInput } from '../server/domain/access/users.js';
import { parseInput } from '../server/lib/validate.js';
import { CliError, option, runCli } from './cli.js';

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) return line;
    return '';
  }
  // Hidden prompt: echo nothing while typing.
  process.stdout.write('Password (at least 12 characters): ');
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let password = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stdout.write('\n');
          return resolve(password);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          return reject(new CliError('Cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') password = password.slice(0, -1);
        else password += ch;
      }
    };
    stdin.on('data', onData);
  });
}

await runCli(async (ctx) => {
  const email = option(process.argv, 'email');
  if (!email) throw new CliError('Usage: npm run admin:create -- --email EMAIL [--name NAME] [--role admin|operator] (password on stdin or at the prompt)');
  const password = await readPassword();
  const input = parseInput(newUserInput, { email, name: option(process.argv, 'name') ?? '', password, role: option(process.argv, 'role') ?? 'admin' });
  const user = await createUser(ctx, { type: 'system' }, input);
  console.log(`Created ${user.role} ${user.email}. Sign in at ${ctx.config.publicUrl}/admin`);
});
