// azsign_vectors.js - how the expected values in test_azsign.c were made:
// by @azure/storage-blob 12.32.0 (and its @azure/storage-common), offline,
// not by the code under test. Run from a tree where that package is
// installed (tests/e2e/install-emulators.sh puts it in
// $STAGE_EMU_DIR/azure):
//   cd /var/tmp/stage-emulators/azure && NODE_PATH=$PWD/node_modules node <this file>
// The SDK stamps x-ms-date with `new Date()`: Date is pinned to a fixed time.
'use strict';
const FIXED = Date.UTC(2026, 11, 5, 1, 2, 3); // Sat, 05 Dec 2026 01:02:03 GMT
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...a) { super(...(a.length ? a : [FIXED])); }
  static now() { return FIXED; }
};
const common = require('@azure/storage-common');
const { createPipelineRequest, createHttpHeaders } = require('@azure/core-rest-pipeline');
const { generateBlobSASQueryParameters, StorageSharedKeyCredential, BlobSASPermissions } =
  require('@azure/storage-blob');

const account = 'devstoreaccount1';
const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const policy = common.storageSharedKeyCredentialPolicy({ accountName: account, accountKey: Buffer.from(key, 'base64') });

async function sign(name, method, url, headers) {
  const h = createHttpHeaders(headers);
  const req = createPipelineRequest({ url, method, headers: h });
  await policy.sendRequest(req, async (r) => {
    console.log(`${name}: ${r.headers.get('authorization')}  (x-ms-date ${r.headers.get('x-ms-date')})`);
    return { request: r, status: 200, headers: createHttpHeaders() };
  });
}

(async () => {
  const base = `http://127.0.0.1:10000/${account}`;
  await sign('put_block', 'PUT', `${base}/ctr/dir/a%20b.csv?comp=block&blockid=MDAwMDAx`, {
    'content-length': '5', 'x-ms-version': '2021-12-02' });
  await sign('list', 'GET', `${base}/ctr?restype=container&comp=list&prefix=dir%2F&marker=m%201&maxresults=2`, {
    'x-ms-version': '2021-12-02' });
  await sign('put_blob_empty', 'PUT', `${base}/ctr/e`, {
    'content-length': '0', 'content-type': 'text/csv', 'x-ms-blob-type': 'BlockBlob',
    'x-ms-meta-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-ms-meta-creator': 'alice', 'x-ms-version': '2021-12-02' });
  await sign('get_range', 'GET', `${base}/ctr/k`, { 'x-ms-range': 'bytes=0-9', 'x-ms-version': '2021-12-02' });

  const cred = new StorageSharedKeyCredential(account, key);
  const sas = generateBlobSASQueryParameters({
    containerName: 'ctr', blobName: 'dir/a b.csv', permissions: BlobSASPermissions.parse('r'),
    startsOn: new RealDate(FIXED), expiresOn: new RealDate(FIXED + 3600 * 1000), version: '2021-12-02',
    contentType: 'text/csv' }, cred);
  console.log(`sas_r: ${sas.toString()}`);
  const sasw = generateBlobSASQueryParameters({
    containerName: 'ctr', blobName: 'up/x.bin', permissions: BlobSASPermissions.parse('cw'),
    expiresOn: new RealDate(FIXED + 600 * 1000), version: '2021-12-02' }, cred);
  console.log(`sas_cw: ${sasw.toString()}`);
})();
