// The TLS material every https / TLS HTTP/2 test server uses, read once from fixtures/.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// The kit is compiled as CommonJS (ts-jest), so __dirname is this file's folder.
const fixtures = path.join(__dirname, '..', 'fixtures');

/** The fixture files' paths, for a process that reads them itself (the examples' https / h2 listeners). */
export const TLS_FIXTURE_PATHS = { key: path.join(fixtures, 'key.pem'), cert: path.join(fixtures, 'cert.pem') };

/** A self-signed certificate for localhost / 127.0.0.1, committed for tests only. */
export const tlsMaterial = {
  key: readFileSync(path.join(fixtures, 'key.pem')),
  cert: readFileSync(path.join(fixtures, 'cert.pem')),
};
