// peer.mjs drives the cc-safety-net npm package for picket's command eval:
// it reads JSON lines {"id","text"} on stdin and writes {"id","deny"} lines.
// install-peer.sh copies it next to the installed package.
import { createInterface } from 'node:readline';
import { checkCommand } from 'cc-safety-net/api';

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
const cwd = process.cwd();
for await (const line of rl) {
  if (!line.trim()) continue;
  const row = JSON.parse(line);
  let deny = false;
  try {
    deny = checkCommand({ command: row.text, cwd }).kind === 'deny';
  } catch (e) {
    deny = false;
  }
  process.stdout.write(JSON.stringify({ id: row.id, deny }) + '\n');
}
