import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Config } from '../../config.js';

export interface SendResult {
  response: string;
}

/** Where mail goes: a pooled SMTP connection, or .eml files in DATA_DIR/mail until SMTP is configured. */
export interface MailTransport {
  kind: 'smtp' | 'file';
  description: string;
  send(message: Mail.Options, deliveryId: number): Promise<SendResult>;
  close(): void;
}

export function mailDir(config: Config): string {
  return join(config.dataDir, 'mail');
}

function smtpOptions(config: Config): SMTPPool.Options {
  const url = new URL(config.mail.smtpUrl ?? '');
  const secure = url.protocol === 'smtps:';
  // smtp:// must upgrade with STARTTLS before credentials or mail cross the network; only a server on
  // this machine (loopback), or an explicit ?requireTLS=false, may be spoken to in clear.
  const loopback = /^(127\.|localhost$|\[?::1\]?$)/.test(url.hostname);
  const requireTLS = !secure && !loopback && url.searchParams.get('requireTLS') !== 'false';
  return {
    pool: true,
    requireTLS,
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    maxConnections: config.mail.maxConnections,
    maxMessages: Infinity,
    // Retrying is the outbox's job alone: a message nodemailer re-queued by itself could be sent twice.
    maxRequeues: 0,
    ...(config.mail.rateLimit > 0 ? { rateDelta: 1000, rateLimit: config.mail.rateLimit } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    ...(config.mail.dkim
      ? {
          dkim: {
            ...config.mail.dkim,
            // nodemailer's default list plus the RFC 8058 headers, so a forwarder cannot strip or forge them.
            headerFieldNames:
              'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
              'In-Reply-To:References:List-Id:List-Unsubscribe:List-Unsubscribe-Post',
          },
        }
      : {}),
  };
}

export function createTransport(config: Config): MailTransport {
  if (config.mail.smtpUrl) {
    const transport = nodemailer.createTransport(smtpOptions(config));
    const url = new URL(config.mail.smtpUrl);
    return {
      kind: 'smtp',
      description: `${url.protocol}//${url.host} (pool of ${config.mail.maxConnections})`,
      send: async (message) => {
        const info = await transport.sendMail(message);
        return { response: String(info.response ?? '') };
      },
      close: () => transport.close(),
    };
  }
  const dir = mailDir(config);
  const stream = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
    ...(config.mail.dkim ? { dkim: config.mail.dkim } : {}),
  });
  return {
    kind: 'file',
    description: `files in ${dir}`,
    send: async (message, deliveryId) => {
      const info = await stream.sendMail(message);
      mkdirSync(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${deliveryId}.eml`;
      writeFileSync(join(dir, name), info.message as Buffer);
      return { response: `written to ${name}` };
    },
    close: () => stream.close(),
  };
}
