import helmet from 'helmet';
import type { Config } from '../config.js';

/** helmet with our Content-Security-Policy: every response carries these headers. */
export function securityHeaders(config: Pick<Config, 'publicUrl' | 'markdownImageHosts'>): ReturnType<typeof helmet> {
  const origin = new URL(config.publicUrl);
  const wsOrigin = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}`;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...config.markdownImageHosts],
        connectSrc: ["'self'", wsOrigin],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: origin.protocol === 'https:',
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
}
