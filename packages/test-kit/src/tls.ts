// The TLS material every https / TLS HTTP/2 test server uses, read once from fixtures/.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// The kit is compiled as CommonJS (ts-jest), so __dirname is this file's folder.
const fixtures = path.join(__dirname, '..', 'fixtures');

/** A self-signed certificate for localhost / 127.0.0.1, committed for tests only. */
export const tlsMaterial = {
  key: readFileSync(path.join(fixtures, 'key.pem')),
  cert: readFileSync(path.join(fixtures, 'cert.pem')),
};
