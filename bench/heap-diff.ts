// What one heap snapshot holds more than another, by node type and constructor name, per
// connection: to see what a server keeps per connection (bench/scale.ts --snapshot DIR).
//
//   node --import tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot [--per 10000] [--top 30]
//
// Prints, for the 30 largest differences of self size (A − B), the count and bytes per --per
// (e.g. the number of connections A holds more than B; default 1). Self sizes only: what each
// object itself takes, not what it keeps alive, so the rows add up to the heap difference.
import { readFileSync } from 'node:fs';
import { numberArg, parseArgs } from './common.js';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Tally {
  count: number;
  bytes: number;
}

/**
 * Self size and count per "type:name" (names of strings and code are folded into their type);
 * plain objects (`Object`) are told apart by their first property names, `Object{a,b,c}`.
 */
function tally(file: string): Map<string, Tally> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { meta } = snap.snapshot;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const TYPE = fields.indexOf('type');
  const NAME = fields.indexOf('name');
  const SIZE = fields.indexOf('self_size');
  const EDGES = fields.indexOf('edge_count');
  const edgeWidth = meta.edge_fields.length;
  const EDGE_TYPE = meta.edge_fields.indexOf('type');
  const EDGE_NAME = meta.edge_fields.indexOf('name_or_index');
  const PROPERTY = meta.edge_types[0].indexOf('property');
  const named = new Set(['object', 'closure', 'native']);
  const out = new Map<string, Tally>();
  const nodes = snap.nodes;
  let edge = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + TYPE]];
    const firstEdge = edge;
    edge += nodes[i + EDGES] * edgeWidth;
    let key = type;
    if (named.has(type)) key = `${type}:${snap.strings[nodes[i + NAME]]}`;
    if (key === 'object:Object') {
      const names: string[] = [];
      for (let e = firstEdge; e < edge && names.length < 6; e += edgeWidth)
        if (snap.edges[e + EDGE_TYPE] === PROPERTY)
          names.push(snap.strings[snap.edges[e + EDGE_NAME]]);
      key = `object:Object{${names.join(',')}}`;
    } else if (type === 'hidden' || type === 'array' || type === 'object shape')
      key = `${type}:${snap.strings[nodes[i + NAME]].slice(0, 40)}`;
    const t = out.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += nodes[i + SIZE];
    out.set(key, t);
  }
  return out;
}

const args = parseArgs();
const files = process.argv.slice(2).filter((a) => a.endsWith('.heapsnapshot'));
if (files.length !== 2) throw new Error('usage: heap-diff.ts A.heapsnapshot B.heapsnapshot');
const per = numberArg(args, 'per', 1);
const top = numberArg(args, 'top', 30);
const [a, b] = files.map(tally);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((key) => {
  const x = a.get(key) ?? { count: 0, bytes: 0 };
  const y = b.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: (x.count - y.count) / per, bytes: (x.bytes - y.bytes) / per };
});
rows.sort((p, q) => Math.abs(q.bytes) - Math.abs(p.bytes));
const total = rows.reduce((sum, r) => sum + r.bytes, 0);
console.log(`| type:constructor | count per ${per} | bytes per ${per} |`);
console.log('|---|---:|---:|');
for (const r of rows.slice(0, top))
  console.log(`| ${r.key.replace(/\|/g, '\\|')} | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} |`);
console.log(`| (all) | | ${total.toFixed(0)} |`);
