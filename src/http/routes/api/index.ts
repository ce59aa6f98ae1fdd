import express, { Router } from 'express';
import type { AppContext } from '../../../context';
import { requireApiToken } from '../../middleware/auth';
import { applicationsApi } from './applications';
import { catalogApi } from './catalog';
import { directoryApi } from './directory';
import { eventsApi } from './events';

/** `/api/v1`: the admin REST API. JSON in and out, bearer token, errors as `{ code, message }`. */
export function apiRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(requireApiToken(ctx));
  router.use(express.json({ limit: '256kb', strict: true }));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(directoryApi(ctx));
  router.use(applicationsApi(ctx));
  router.use(eventsApi(ctx));
  router.use(catalogApi(ctx));
  return router;
}
