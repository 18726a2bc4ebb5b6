'use strict';
// node_bench.js: the Node side of benchmark group 6 (bench_encoding.go).
//
// The Go program starts `node node_bench.js` once and talks to it over
// stdin and stdout. Every request is one line of JSON, optionally followed
// by raw bytes; every reply is one line of JSON.
//
//   {"op":"load","name":N,"len":L} + L bytes
//       keeps the bytes as the Buffer inputs[N]; the first use as a string
//       decodes them as UTF-8 into the JS string strings[N] (the Go string
//       of the same bytes stands for exactly that JS string). Reply
//       {"ok":true}.
//   {"op":"run","kind":K,"enc":E,"input":N,"needle":M,"iters":I,"check":C}
//       runs one operation I times in a loop timed with
//       process.hrtime.bigint(), so no IPC is counted, and replies
//       {"ns":"<nanoseconds>","check":"<sha256 of the last result>"}
//       (check only when C is true; it is computed after the timing):
//         K "toString": inputs[N].toString(E)
//         K "from":     Buffer.from(strings[N], E)
//         K "indexOf":  inputs[N].indexOf(strings[M])
//       and the one-call kinds of group 10 (bench_calls.go), on buffers of
//       their own, the loop's counter i giving the offset (i & 511) << 3:
//         K "readUInt32LE", "writeUInt32BE", "readBigUInt64LE": that call
//         K "toString16":  a 16-byte buffer's toString('utf8')
//         K "write16":     write('Buffer stream 42', (i & 255) << 3, 'utf8')
//         K "indexOfByte": indexOf(0x21) in 64 bytes holding it at 48
//   {"op":"version"}
//       replies {"version":process.version}.
//
// Any failure replies {"error":"..."}; the process exits when stdin ends.

const crypto = require('crypto');

const inputs = new Map();
const strings = new Map();

// sink holds every result so that no call can be optimised away.
let sink;

// input returns the Buffer loaded under name.
function input(name) {
  const buf = inputs.get(name);
  if (buf === undefined) throw new Error(`no input ${name}`);
  return buf;
}

// string returns the input loaded under name as a JS string, made once, so
// that only the inputs used as strings are held as strings too.
function string(name) {
  if (!strings.has(name)) strings.set(name, input(name).toString('utf8'));
  return strings.get(name);
}

// Group 10's buffers: 4096 bytes for the number calls, and the small ones.
const callBuf = Buffer.alloc(4096);
const small = Buffer.from('Buffer stream 42', 'utf8');
const hay = Buffer.alloc(64);
for (let i = 0; i < 64; i++) hay[i] = 0x61 + (i % 26);
hay[48] = 0x21;

// operation returns a function doing one call of kind on the named inputs;
// it is passed the loop's counter.
function operation(req) {
  const enc = req.enc;
  switch (req.kind) {
    case 'readUInt32LE':
      return (i) => callBuf.readUInt32LE((i & 511) << 3);
    case 'writeUInt32BE':
      return (i) => callBuf.writeUInt32BE(i >>> 0, (i & 511) << 3);
    case 'readBigUInt64LE':
      return (i) => callBuf.readBigUInt64LE((i & 511) << 3);
    case 'toString16':
      return () => small.toString('utf8');
    case 'write16':
      return (i) => callBuf.write('Buffer stream 42', (i & 255) << 3, 'utf8');
    case 'indexOfByte':
      return () => hay.indexOf(0x21);
    case 'toString': {
      const buf = input(req.input);
      return () => buf.toString(enc);
    }
    case 'from': {
      const str = string(req.input);
      return () => Buffer.from(str, enc);
    }
    case 'indexOf': {
      const buf = input(req.input);
      const needle = string(req.needle);
      return () => buf.indexOf(needle);
    }
  }
  throw new Error(`unknown kind ${req.kind}`);
}

// timeLoop runs op iters times and returns the nanoseconds it took.
function timeLoop(op, iters) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) {
    sink = op(i);
  }
  return process.hrtime.bigint() - start;
}

// digest is the SHA-256 of a result: a string's UTF-8 bytes, a Buffer's
// bytes, or a number's decimal text.
function digest(v) {
  const h = crypto.createHash('sha256');
  if (typeof v === 'number') h.update(String(v));
  else h.update(v); // a string is hashed as UTF-8
  return h.digest('hex');
}

function handle(req, payload) {
  switch (req.op) {
    case 'load':
      inputs.set(req.name, payload);
      strings.delete(req.name);
      return { ok: true };
    case 'run': {
      const op = operation(req);
      // An untimed quarter of the work first: between requests Node sits
      // idle while the Go contenders run, and the first calls after that
      // pay for memory given back meanwhile (by V8 and by malloc, for the
      // large results), which a program calling in a loop would not.
      timeLoop(op, req.iters >> 2);
      const ns = timeLoop(op, req.iters);
      const reply = { ns: ns.toString() };
      if (req.check) reply.check = digest(sink);
      return reply;
    }
    case 'version':
      return { version: process.version };
  }
  throw new Error(`unknown op ${req.op}`);
}

// The reader keeps the chunks stdin has delivered and takes whole requests
// off their front: a header line, then the payload the header announces.
// Chunks are joined only when a whole header or payload has arrived, so a
// large payload is copied once, not once per chunk.
let chunks = [];
let total = 0;
let header = null; // the parsed header whose payload is awaited

// flatten joins the chunks into one Buffer and returns it.
function flatten() {
  if (chunks.length !== 1) chunks = [Buffer.concat(chunks, total)];
  return chunks[0];
}

// take removes and returns the first n bytes, as a copy that does not pin
// the chunk it came from.
function take(n) {
  const all = flatten();
  const out = Buffer.from(all.subarray(0, n));
  chunks = [all.subarray(n)];
  total -= n;
  return out;
}

function pump() {
  for (;;) {
    if (header === null) {
      const nl = total === 0 ? -1 : flatten().indexOf(10);
      if (nl < 0) return;
      header = JSON.parse(take(nl + 1).toString('utf8'));
    }
    const len = header.len || 0;
    if (total < len) return;
    const req = header;
    header = null;
    const payload = take(len);
    let reply;
    try {
      reply = handle(req, payload);
    } catch (e) {
      reply = { error: String((e && e.stack) || e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
}

process.stdin.on('data', (chunk) => {
  chunks.push(chunk);
  total += chunk.length;
  pump();
});
process.stdin.on('end', () => process.exit(0));
