// configs.mjs DIR - write the stage.yaml of every ConfigMap of a rendered
// manifest stream (stdin) to DIR/<ConfigMap name>.yaml, for
// `stage-frontend --check-config` (validate.sh).
import yaml from 'js-yaml';
import { readFileSync, writeFileSync } from 'node:fs';

for (const d of yaml.loadAll(readFileSync(0, 'utf8')))
  if (d?.kind === 'ConfigMap' && d.data?.['stage.yaml'])
    writeFileSync(`${process.argv[2]}/${d.metadata.name}.yaml`, d.data['stage.yaml']);
