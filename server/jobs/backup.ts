import { join } from 'node:path';
import { backupDatabase } from '../db/backup.js';
import type { Job } from './schedule.js';

export const backupJob: Job = {
  id: 'backup',
  schedule: '37 2 * * *',
  description: 'Copies the database online into DATA_DIR/backups, checks it, keeps the newest BACKUP_KEEP',
  run: async (ctx, now) => {
    const { file, removed } = await backupDatabase(ctx.db, join(ctx.config.dataDir, 'backups'), now, ctx.config.backupKeep);
    return `${file} written and checked${removed.length ? `, ${removed.length} old removed` : ''}`;
  },
};
