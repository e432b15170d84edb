// Test certificates made by openssl in a temporary folder: CAs and leaf certificates with chosen SANs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestCerts {
  readonly dir = mkdtempSync(join(tmpdir(), 'mcpgw-certs-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }

  /** `name.crt` / `name.key`: a self-signed CA. */
  makeCa(name: string): void {
    this.openssl('req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
  }

  /** `name.crt` / `name.key` signed by `ca`, with subjectAltName `san` (e.g. "URI:spiffe://t/x,DNS:y"). */
  makeCert(name: string, ca: string, san: string): void {
    this.openssl('req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(this.path(`${name}.ext`), `subjectAltName=${san}\n`);
    this.openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
