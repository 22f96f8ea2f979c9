import { userInfo } from 'node:os';

/**
 * libpq takes the operating-system user when the URL names none; node-postgres only reads $PGUSER / $USER, which are
 * unset in some containers and CI runners. Fill the gap the way libpq does so `postgres://host/db` means the same to both.
 */
export function withDefaultUser(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || process.env.PGUSER || process.env.USER || !parsed.hostname) return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url;
  }
}
