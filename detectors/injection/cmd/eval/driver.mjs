// driver.mjs runs the peer detector installed by install-peer.sh on JSON
// lines {"text": "..."} from stdin and prints one line per input:
// {"flagged": <its own verdict with the moderate preset>, "score": <the
// highest severity of any threat it sees at threshold 0>}.
import readline from 'node:readline';
import vard from '@andersmyrmel/vard';

const verdict = vard.moderate().maxLength(Number.MAX_SAFE_INTEGER);
const all = vard.moderate().threshold(0).maxLength(Number.MAX_SAFE_INTEGER);

function score(text) {
  const r = all.safeParse(text);
  if (r.safe) return 0;
  return Math.max(0, ...r.threats.map((t) => t.severity));
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const { text } = JSON.parse(line);
  let flagged = false;
  let s = 0;
  try {
    flagged = !verdict.safeParse(text).safe;
    s = score(text);
  } catch (e) {
    process.stderr.write(`driver: ${e}\n`);
  }
  process.stdout.write(JSON.stringify({ flagged, score: s }) + '\n');
}
