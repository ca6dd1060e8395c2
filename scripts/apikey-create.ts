// npm run apikey:create -- --name NAME
// Prints the key once, alone on the last line (only its hash is stored).
import { createApiKey } from '../server/domain/access/api-keys.js';
import { CliError, option, runCli } from './cli.js';

await runCli((ctx) => {
  const name = option(process.argv, 'name');
  if (!name) throw new CliError('Usage: npm run apikey:create -- --name NAME');
  const { key } = createApiKey(ctx, { type: 'system' }, { name });
  console.log(`Created API key "${name}" for ${ctx.config.publicUrl}/api/v1/pages/${ctx.pageId}/ (shown once; send it as "Authorization: OAuth KEY"):`);
  console.log(key);
});
