import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { ControlAction, ControlCenter } from '../control/control-center';
import { ControlError } from '../control/controllable';

/**
 * `GET /control` (what can be steered, read only and public like `/topology`) and
 * `POST /control/pause|resume|set` with `Authorization: Bearer <token>`. Every refusal is a
 * JSON `{ error: { code, message } }` with the status of its code (401, 403, 400, 404, 409,
 * 501), so scripts and the CLI can print the message as it is.
 */
export function controlRoutes(control: ControlCenter): Router {
  const router = Router();
  const json = express.json({ limit: '16kb', strict: true, type: () => true });

  router.get('/control', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json(control.describe());
  });

  for (const action of ['pause', 'resume', 'set'] as ControlAction[]) {
    router.post(
      `/control/${action}`,
      // The token is checked before the body is read: no parsing for anyone without it.
      (req: Request, _res: Response, next: NextFunction) => {
        try {
          control.authorize(req.get('authorization'), action);
          next();
        } catch (error) {
          if (error instanceof ControlError) control.refused(action, error);
          next(error);
        }
      },
      (req: Request, res: Response, next: NextFunction) => {
        json(req, res, (error?: unknown) => {
          if (error) {
            const refusal = new ControlError(
              'bad_request',
              `POST /control/${action}: the body is not valid JSON: ${(error as Error).message}`,
            );
            control.refused(action, refusal);
            next(refusal);
            return;
          }
          next();
        });
      },
      async (req: Request, res: Response, next: NextFunction) => {
        try {
          // An empty body is `{}`: the whole pipeline.
          const body = req.body === undefined || req.body === null ? {} : req.body;
          res.json(await control.act(action, body));
        } catch (error) {
          next(error);
        }
      },
    );
  }

  router.use('/control', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof ControlError)) {
      next(error);
      return;
    }
    if (error.reason === 'unauthorized') res.set('WWW-Authenticate', 'Bearer realm="kafka-stages"');
    res.status(error.status).json({ error: { code: error.reason, message: error.message } });
  });
  return router;
}
