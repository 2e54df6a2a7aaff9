import { Hono } from 'hono';
import type { AppEnv } from '../http';

export function dashboardRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
