// scanForSecrets: finds test secrets in captured log output, for suites (e2e included) that assert
// "no secret ever reaches a log". It looks for the encodings a secret takes on its way into a line
// (JSON-escaped, percent-encoded, base64 and base64url), and never echoes a secret back: a failing
// assertion prints in CI logs too.

export interface SecretFinding {
  /** 1-based line number within the scanned text. */
  line: number;
  /** Index of the secret in the list given, and a masked form safe to print. */
  secretIndex: number;
  masked: string;
  encoding: 'raw' | 'json' | 'percent' | 'base64' | 'base64url';
}

const mask = (s: string) => `${s.slice(0, 3)}…(${s.length} chars)`;

function encodings(secret: string): Array<[SecretFinding['encoding'], string]> {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  const all: Array<[SecretFinding['encoding'], string]> = [
    ['raw', secret],
    ['json', JSON.stringify(secret).slice(1, -1)],
    ['percent', encodeURIComponent(secret)],
    // Padding stripped, so a secret at the start of a longer base64 string is found too. Other
    // alignments ("user:secret" in Basic credentials) are not: header redaction covers those.
    ['base64', b64.replace(/=+$/, '')],
    ['base64url', Buffer.from(secret, 'utf8').toString('base64url')],
  ];
  const seen = new Set<string>();
  return all.filter(([, v]) => !seen.has(v) && seen.add(v));
}

export function scanForSecrets(lines: string | Iterable<string>, secrets: readonly string[]): SecretFinding[] {
  const list = typeof lines === 'string' ? lines.split('\n') : [...lines].flatMap((l) => l.split('\n'));
  const forms = secrets.map((s, i) => ({ i, s, forms: encodings(s) }));
  const findings: SecretFinding[] = [];
  list.forEach((text, n) => {
    for (const { i, s, forms: fs } of forms) {
      const hit = fs.find(([, v]) => text.includes(v));
      if (hit) findings.push({ line: n + 1, secretIndex: i, masked: mask(s), encoding: hit[0] });
    }
  });
  return findings;
}
