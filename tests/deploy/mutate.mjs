// mutate.mjs KIND/NAME 'JS' - apply a JavaScript edit to one document of a
// rendered manifest stream (stdin) and print the stream again (stdout):
// validate.sh's broken variants that sed cannot say clearly. In the edit,
// `d` is the document (it must exist), `docs` all of them, `yaml` is js-yaml.
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';

const [target, code] = process.argv.slice(2);
const docs = yaml.loadAll(readFileSync(0, 'utf8')).filter(Boolean);
const d = docs.find((x) => `${x.kind}/${x.metadata?.name}` === target);
if (!d) {
  console.error(`mutate: no ${target} in the stream`);
  process.exit(2);
}
new Function('d', 'yaml', 'docs', code)(d, yaml, docs);
process.stdout.write(docs.map((x) => yaml.dump(x, { lineWidth: -1 })).join('---\n'));
