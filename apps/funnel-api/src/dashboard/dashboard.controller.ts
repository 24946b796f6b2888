/**
 * The dashboard: one static page, its script and stylesheet, and Chart.js from node_modules.
 * The page reads the same /analytics and /definitions JSON anyone can, in parallel; nothing
 * here queries ClickHouse. Everything is served locally (no CDN), under a strict CSP.
 */
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  type DashboardAsset,
  dashboardAssets,
  resolveDashboardDirectory,
} from './dashboard-assets';
import { Public } from '../auth/access.decorators';

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// A browser cannot put a bearer token on a page navigation; the page and its assets are the
// same static files for everyone and hold no data. Every request the page makes for data
// carries the token (ADR 0011).
@Public('the dashboard shell: static files, no data')
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  private readonly assets = dashboardAssets(resolveDashboardDirectory());

  @Get()
  page(@Res() response: Response): void {
    this.serve(response, 'index.html');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() response: Response): void {
    if (name === 'index.html' || !this.assets.has(name)) {
      throw new NotFoundException(`no dashboard asset named ${name}`);
    }
    this.serve(response, name);
  }

  private serve(response: Response, name: string): void {
    const asset = this.assets.get(name) as DashboardAsset;
    response.setHeader('Content-Type', asset.contentType);
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader(
      'Cache-Control',
      asset.maxAge > 0 ? `public, max-age=${asset.maxAge}` : 'no-cache',
    );
    response.sendFile(asset.path);
  }
}
