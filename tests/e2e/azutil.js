// azutil.js - @azure/storage-blob 12.32.0 against an Azure Blob service (the azurite
// emulator in the tests): the independent client the azblob tests check with.
// Endpoint, account and key from AZ_ENDPOINT, AZ_ACCOUNT, AZ_KEY (lib.sh start_azurite).
//   mkcontainer C          create container C
//   put C BLOB FILE        upload FILE (block blob, the SDK's own block size)
//   get C BLOB FILE        download into FILE
//   sha C BLOB             hex SHA-256 of the blob's content ("missing" if it does not exist)
//   list C PREFIX          names under PREFIX, one a line, sorted
//   shas C PREFIX          'NAME SHA256' of every blob under PREFIX (NAME without it), sorted
//   props C BLOB           content length, content type and metadata as JSON
//   meta C BLOB            "md5 sha256 creator" as the blob holds them: its Content-MD5 in hex
//                          (else metadata md5), metadata sha256 and creator; "-" for each one
//                          missing, "missing" if there is no blob
//   damage C BLOB OFFSET   flip the bits of the byte at OFFSET, keeping the blob's
//                          Content-MD5, content type and metadata (the recorded digests)
//   blocks C BLOB          the sizes of the committed blocks, space-separated
//   rm C BLOB              delete the blob
//   count C PREFIX         the number of blobs under PREFIX (List Blobs pages of 5000)
//   fill C PREFIX N        upload N one-byte blobs PREFIX00000 ... (64 at a time)
//   lease C BLOB           take an infinite lease: deleting the blob without it fails (412)
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');

const svc = new BlobServiceClient(process.env.AZ_ENDPOINT,
  new StorageSharedKeyCredential(process.env.AZ_ACCOUNT, process.env.AZ_KEY));

async function main(cmd, c, a, b) {
  const ctr = svc.getContainerClient(c);
  switch (cmd) {
    case 'mkcontainer':
      await ctr.create();
      return;
    case 'put':
      await ctr.getBlockBlobClient(a).uploadFile(b);
      return;
    case 'get':
      await ctr.getBlobClient(a).downloadToFile(b);
      return;
    case 'sha': {
      const blob = ctr.getBlobClient(a);
      if (!(await blob.exists())) { console.log('missing'); return; }
      const buf = await blob.downloadToBuffer();
      console.log(crypto.createHash('sha256').update(buf).digest('hex'));
      return;
    }
    case 'list': {
      const names = [];
      for await (const it of ctr.listBlobsFlat({ prefix: a })) names.push(it.name);
      names.sort();
      if (names.length) console.log(names.join('\n'));
      return;
    }
    case 'shas': { // streamed: a 1 GiB blob is never held whole
      const out = [];
      for await (const it of ctr.listBlobsFlat({ prefix: a })) {
        const h = crypto.createHash('sha256');
        const rs = (await ctr.getBlobClient(it.name).download()).readableStreamBody;
        for await (const chunk of rs) h.update(chunk);
        out.push(`${it.name.slice(a.length)} ${h.digest('hex')}`);
      }
      out.sort();
      if (out.length) console.log(out.join('\n'));
      return;
    }
    case 'props': {
      const p = await ctr.getBlobClient(a).getProperties();
      console.log(JSON.stringify({ length: p.contentLength, type: p.contentType, metadata: p.metadata }));
      return;
    }
    case 'meta': {
      const blob = ctr.getBlobClient(a);
      if (!(await blob.exists())) { console.log('missing'); return; }
      const p = await blob.getProperties();
      const m = p.metadata || {};
      const md5 = p.contentMD5 ? Buffer.from(p.contentMD5).toString('hex') : (m.md5 || '-');
      console.log(`${md5} ${m.sha256 || '-'} ${m.creator || '-'}`);
      return;
    }
    case 'damage': {
      const blob = ctr.getBlockBlobClient(a);
      const p = await blob.getProperties();
      const buf = await blob.downloadToBuffer();
      buf[Number(b)] ^= 0xff;
      // Put Blob checks a Content-MD5 against the body; Set Blob Properties does not
      await blob.upload(buf, buf.length, { metadata: p.metadata });
      await blob.setHTTPHeaders({ blobContentType: p.contentType, blobContentMD5: p.contentMD5 });
      return;
    }
    case 'rm':
      await ctr.getBlobClient(a).delete();
      return;
    case 'blocks': {
      const r = await ctr.getBlockBlobClient(a).getBlockList('committed');
      console.log((r.committedBlocks || []).map((b) => b.size).join(' '));
      return;
    }
    case 'count': {
      let n = 0;
      for await (const page of ctr.listBlobsFlat({ prefix: a }).byPage({ maxPageSize: 5000 })) {
        n += page.segment.blobItems.length;
      }
      console.log(n);
      return;
    }
    case 'fill': {
      const n = Number(b);
      let next = 0;
      const one = async () => {
        for (let i = next++; i < n; i = next++)
          await ctr.getBlockBlobClient(a + String(i).padStart(5, '0')).upload('x', 1);
      };
      await Promise.all(Array.from({ length: 64 }, one));
      return;
    }
    case 'lease':
      await ctr.getBlobClient(a).getBlobLeaseClient().acquireLease(-1);
      return;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}
main(...process.argv.slice(2)).catch((e) => { console.error(`azutil: ${e.message}`); process.exit(1); });
