/** Which command-line flags carry a secret (main.ts and the CLI warn about them). */

/** Flags that carry a secret: visible to every local user in `ps` and /proc while the process runs. */
const SECRET_FLAGS: Record<string, string> = {
  'admin-token': 'SWITCHBOARD_ADMIN_TOKEN',
  'master-key': 'SWITCHBOARD_MASTER_KEY',
  'database-url': 'DATABASE_URL',
  'cluster-secret': 'SWITCHBOARD_CLUSTER_SECRET',
};

/**
 * The secrets given as command-line flags, each with the variable to use instead. `--database-url` counts only when
 * it carries a password (`postgres://user:password@…`).
 */
export function secretsInFlags(argv: string[]): Array<{ flag: string; variable: string }> {
  const out: Array<{ flag: string; variable: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(argv[i]!);
    const variable = m ? SECRET_FLAGS[m[1]!] : undefined;
    if (!m || !variable) continue;
    const value = m[2] ?? argv[i + 1] ?? '';
    if (m[1] === 'database-url' && !/^[a-z]+:\/\/[^/@:]*:[^/@]+@/i.test(value)) continue;
    out.push({ flag: `--${m[1]}`, variable });
  }
  return out;
}
