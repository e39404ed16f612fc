// gcs_vectors.js - how storage/tests/gcs_vectors.tsv was made: V4 signed
// URLs (GOOG4-RSA-SHA256) by @google-cloud/storage 7.19.0, offline (the
// library signs with the key itself when it is given client_email and
// private_key), not by the code under test. Run from a tree where that
// package is installed (tests/e2e/install-emulators.sh puts it in
// $STAGE_EMU_DIR/gcs):
//   cd /var/tmp/stage-emulators/gcs && NODE_PATH=$PWD/node_modules \
//     node <repo>/storage/tests/gcs_vectors.js <repo>/storage/tests/gcs_test_key.pem \
//     > <repo>/storage/tests/gcs_vectors.tsv
// The library checks the expiry against `new Date()`: Date is pinned to the
// vectors' time. gcs_test_key.pem is a throwaway key made for these tests
// with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
// Output, one vector a line, tab-separated:
//   method endpoint("-": default) bucket key unix-time expires-s url
'use strict';
const fs = require('fs');
const FIXED = Date.UTC(2026, 11, 5, 1, 2, 3); // 2026-12-05T01:02:03Z
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...a) { super(...(a.length ? a : [FIXED])); }
  static now() { return FIXED; }
};
const { Storage } = require('@google-cloud/storage');

const email = 'stage-test@stage-test-project.iam.gserviceaccount.com';
const storage = new Storage({
  projectId: 'stage-test-project',
  credentials: { client_email: email, private_key: fs.readFileSync(process.argv[2], 'utf8') },
});

const cases = [
  ['GET', '-', 'bkt', 'a.csv', 900],
  ['GET', '-', 'my-bucket', 'stage/u1/root/dir/data 2024.csv', 3600],
  ['PUT', '-', 'my-bucket', 'x/ümlaut+plus&amp=eq?q#h~t_.-!\'()*', 604800],
  ['GET', 'http://127.0.0.1:4443', 'bkt', 'stage/a/b.bin', 60],
  ['DELETE', 'https://storage.example.test:8443/some/path', 'b.k', 'k', 1],
];

(async () => {
  for (const [method, ep, bucket, key, exp] of cases) {
    const cfg = { version: 'v4', action: { GET: 'read', PUT: 'write', DELETE: 'delete' }[method],
                  expires: FIXED + exp * 1000 };
    if (ep !== '-') cfg.host = ep;
    const [url] = await storage.bucket(bucket).file(key).getSignedUrl(cfg);
    process.stdout.write([method, ep, bucket, key, FIXED / 1000, exp, url].join('\t') + '\n');
  }
})().catch((e) => { console.error(e); process.exit(1); });
