// Oracle for node_oracle_test.go: runs Buffer calls in the real Node and
// answers one JSON line per request line.
//
// Request: {m: "readUInt8" | "Buffer.concat" | ..., b: hex of `this` (absent
// for static calls), a: [arg, ...]} where each arg is tagged so nothing is
// lost on the way: {u:1} undefined, {null:1}, {n:"1.5"} a number from its
// decimal text, {f:"<16 hex digits>"} a float64 by its bits, {big:"-12"} a
// BigInt, {s:"<hex of utf16le>"} a string by its code units, {b:"<hex>"} a
// new Buffer, {self:1} the `this` Buffer itself, {list:[arg, ...]} an array.
//
// Reply: {err: code or error name} or {r: result}, plus b: `this` after the
// call and a: each Buffer argument after it (hex, or null).
'use strict';

const readline = require('readline');

function decodeArg(a, self, bufs) {
  if ('u' in a) return undefined;
  if ('null' in a) return null;
  if ('n' in a) return Number(a.n);
  if ('f' in a) {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setBigUint64(0, BigInt('0x' + a.f));
    return dv.getFloat64(0);
  }
  if ('big' in a) return BigInt(a.big);
  if ('s' in a) return Buffer.from(a.s, 'hex').toString('utf16le');
  if ('b' in a) {
    const b = Buffer.from(a.b, 'hex');
    bufs.push(b);
    return b;
  }
  if ('self' in a) {
    bufs.push(null);
    return self;
  }
  if ('list' in a) return a.list.map((x) => decodeArg(x, self, bufs));
  if ('bool' in a) return a.bool;
  throw new Error('bad arg ' + JSON.stringify(a));
}

function encodeResult(v, self) {
  if (v === undefined) return { t: 'u' };
  if (self !== undefined && v === self) return { t: 'this' };
  switch (typeof v) {
    case 'number':
      return { t: 'n', v: Object.is(v, -0) ? '-0' : String(v) };
    case 'bigint':
      return { t: 'big', v: v.toString() };
    case 'string':
      return { t: 's', h: Buffer.from(v, 'utf16le').toString('hex') };
    case 'boolean':
      return { t: 'bool', v };
  }
  if (Buffer.isBuffer(v)) {
    return { t: 'buf', h: v.toString('hex'), shared: self !== undefined && v.buffer === self.buffer };
  }
  return { t: 'json', v: JSON.stringify(v) };
}

function answer(req) {
  const self = req.b === undefined ? undefined : Buffer.from(req.b, 'hex');
  const bufs = [];
  const args = (req.a || []).map((a) => decodeArg(a, self, bufs));
  const res = {};
  try {
    let v;
    if (req.m.startsWith('Buffer.')) {
      v = Buffer[req.m.slice(7)](...args);
    } else if (req.m === 'JSON.stringify') {
      v = JSON.stringify(self);
    } else {
      v = self[req.m](...args);
    }
    res.r = encodeResult(v, self);
  } catch (e) {
    res.err = e.code || e.name || String(e);
    res.msg = String(e.message);
  }
  if (self !== undefined) res.b = self.toString('hex');
  res.a = bufs.map((b) => (b === null ? null : b.toString('hex')));
  return res;
}

let out = [];
const flush = () => {
  if (out.length) {
    process.stdout.write(out.join(''));
    out = [];
  }
};
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (line === '') return;
  if (line === 'version') {
    out.push(JSON.stringify({ r: { t: 's', v: process.version } }) + '\n');
    flush();
    return;
  }
  if (line === 'flush') {
    flush();
    return;
  }
  let res;
  try {
    res = answer(JSON.parse(line));
  } catch (e) {
    res = { err: 'ORACLE', msg: String(e && e.stack || e) };
  }
  out.push(JSON.stringify(res) + '\n');
  if (out.length >= 256) flush();
});
rl.on('close', flush);
