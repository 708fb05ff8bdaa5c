// Decode test for the typescript-fetch client (compiled with tsc --strict, run with node).
// Usage: node decode_test.js FIELDS_JSON CORPUS_ROOT...
//
// For each corpus file (CORPUS_ROOT/<kind>/*.json, kinds as in fields.json): decode it with the generated <Model>FromJSON (what the generated
// SessionsApi and OrdersApi do with a 200 answer), then compare every path listed in fields.json
// (a) read through the model's properties and (b) in the model re-encoded by the generated
// <Model>ToJSON, with the value in the corpus file. Absent and null count as the same.
// `./client` is the generated client, copied beside this file by .ci/generators.
import * as client from './client';

// The few Node.js APIs used, declared here so that no @types/node package is needed.
declare function require(name: 'fs'): {
  readFileSync(path: string, encoding: 'utf8'): string;
  readdirSync(path: string): string[];
  existsSync(path: string): boolean;
};
declare const process: { argv: string[]; exitCode?: number };
const fs = require('fs');

type Getter = (node: any, key: string) => unknown;
const MISSING = '<missing>';

const isMissing = (v: unknown): boolean => v === null || v === undefined;

function canon(v: unknown): string {
  if (isMissing(v)) return MISSING;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return `<${typeof v}: ${JSON.stringify(v)}>`;
}

function collect(node: unknown, segments: string[], path: string, get: Getter, out: Map<string, string>): void {
  const [segment, ...rest] = segments;
  const isList = segment.endsWith('[]');
  const key = isList ? segment.slice(0, -2) : segment;
  const here = path ? `${path}.${key}` : key;
  const value = get(node, key);
  if (isMissing(value)) {
    if (rest.length === 0) out.set(here, MISSING);
    return;
  }
  if (!isList) {
    if (rest.length > 0) collect(value, rest, here, get, out);
    else out.set(here, canon(value));
    return;
  }
  if (!Array.isArray(value)) {
    out.set(here, `<not a list: ${typeof value}>`);
    return;
  }
  value.forEach((element: unknown, i: number) => {
    const at = `${here}[${i}]`;
    if (rest.length === 0) out.set(at, canon(element));
    else if (!isMissing(element)) collect(element, rest, at, get, out);
  });
}

function values(root: unknown, paths: string[], get: Getter): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of paths) collect(root, p.split('.'), '', get, out);
  return out;
}

function differences(expected: Map<string, string>, actual: Map<string, string>): string[] {
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  return keys
    .filter((k) => (expected.get(k) ?? MISSING) !== (actual.get(k) ?? MISSING))
    .map((k) => `${k}: corpus ${expected.get(k) ?? MISSING}, got ${actual.get(k) ?? MISSING}`);
}

const getJson: Getter = (node, key) =>
  node !== null && typeof node === 'object' && !Array.isArray(node) ? node[key] : undefined;
// typescript-fetch names properties in lowerCamelCase.
const lowerCamel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const upperCamel = (s: string): string => lowerCamel(s).replace(/^./, (c) => c.toUpperCase());
const getModel: Getter = (node, key) => node[lowerCamel(key)];

interface Kind {
  model: string;
  extensible: string[];
  plain: string[];
}

function main(): void {
  const [fieldsFile, ...roots] = process.argv.slice(2);
  const fields: Record<string, Kind> = JSON.parse(fs.readFileSync(fieldsFile, 'utf8'));
  const kinds = Object.keys(fields).filter((k) => typeof fields[k] === 'object').sort();
  const files: [string, Kind][] = [];
  for (const root of roots) {
    for (const k of kinds) {
      const dir = `${root}/${k}`;
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) files.push([`${dir}/${f}`, fields[k]]);
    }
  }
  const functions = client as unknown as Record<string, (json: unknown) => unknown>;
  let passed = 0;
  let failed = 0;
  for (const [name, kind] of files) {
    const paths = [...kind.extensible, ...kind.plain];
    const text = fs.readFileSync(name, 'utf8');
    const expected = values(JSON.parse(text), paths, getJson);
    let problems: string[];
    try {
      const model = functions[`${upperCamel(kind.model)}FromJSON`](JSON.parse(text));
      const encoded = functions[`${upperCamel(kind.model)}ToJSON`](model);
      problems = [
        ...differences(expected, values(model, paths, getModel)).map((d) => `model ${d}`),
        ...differences(expected, values(encoded, paths, getJson)).map((d) => `re-encoded ${d}`),
      ];
    } catch (error) {
      problems = [String(error)];
    }
    if (problems.length > 0) {
      failed++;
      console.log(`FAIL ${name}: ${problems.join('; ')}`);
    } else {
      passed++;
      const extensible = values(JSON.parse(text), kind.extensible, getJson).size;
      console.log(`PASS ${name} (${extensible} extensible + ${expected.size - extensible} other values)`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
