import path from 'node:path';
import express from 'express';
import type { AppContext } from './context';
import { createPassport, idleTimeout } from './http/middleware/auth';
import { errorHandler, notFoundHandler } from './http/middleware/errors';
import { securityHeaders } from './http/middleware/security';
import { formatDate, swatchSrc } from './http/view-helpers';
import { sessionMiddleware } from './http/middleware/session';
import { accountRouter } from './http/routes/account';
import { adminRouter } from './http/routes/admin';
import { apiRouter } from './http/routes/api';
import { catalogLogos } from './http/routes/catalog-logos';
import { authRouter } from './http/routes/auth';
import { consoleRouter } from './http/routes/console';
import { mfaRouter, requireMfaSetup } from './http/routes/mfa';
import { samlRouter } from './http/routes/saml';

export const VIEWS_DIR = path.join(__dirname, '..', 'views');

/** The Express app for a context; no listen, so tests drive it through supertest or a real port. */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.set('view cache', true);
  // Includes are written from the views root (`/partials/top`): EJS then resolves them without a
  // file-system probe on every render.
  app.set('view options', { root: VIEWS_DIR });
  app.locals.productName = 'Gatehouse';
  app.locals.swatchSrc = swatchSrc;
  app.locals.formatDate = formatDate;

  app.use(securityHeaders({ https: ctx.config.publicUrl.startsWith('https:') }));
  // Readiness a load balancer can trust: 503 when the store cannot serve (its file vanished or
  // was replaced, or PostgreSQL does not answer), with a stable code and a reason an operator can
  // act on. The store keeps the answer for a second, so probes cost at most a stat or a SELECT 1.
  app.get('/healthz', async (_req, res) => {
    const health = await ctx.store.health();
    res.setHeader('Cache-Control', 'no-store');
    if (health.ok) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unavailable', code: health.code, reason: health.reason });
  });
  app.use('/static', express.static(path.join(VIEWS_DIR, 'static'), { maxAge: '1h', index: false }));
  app.use(catalogLogos(ctx));
  app.use('/api/v1', apiRouter(ctx));

  // Browser routes: urlencoded forms (SAML POST binding bodies are ≤ 200 KB, security.md §2 #9).
  app.use(express.urlencoded({ extended: false, limit: '300kb', parameterLimit: 50 }));
  app.use(sessionMiddleware(ctx));
  const passport = createPassport(ctx);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(idleTimeout(ctx));
  app.use(requireMfaSetup());
  app.use((req, res, next) => {
    res.locals.currentUser = req.user;
    next();
  });
  app.use(authRouter(ctx, passport));
  app.use(samlRouter(ctx));
  app.use('/admin', adminRouter(ctx));
  app.use(mfaRouter(ctx));
  app.use(accountRouter(ctx));
  app.use(consoleRouter(ctx));

  app.use(notFoundHandler);
  app.use(errorHandler(ctx));
  return app;
}
