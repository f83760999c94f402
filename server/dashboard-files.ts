// Whether the built dashboard is there to serve, and what to tell a user when it is not.
import { existsSync } from 'node:fs';
import path from 'node:path';

export function hasDashboard(clientDir: string): boolean {
  return existsSync(path.join(clientDir, 'index.html'));
}

export function missingDashboardMessage(clientDir: string): string {
  return `gradpilot: no dashboard to serve (${path.join(clientDir, 'index.html')} is missing); the API works. ` +
    'In a clone of the repository run `npm run build:client`; an installed gradpilot package ships it built.';
}
