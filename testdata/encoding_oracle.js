// Oracle for encoding_test.go: answers one JSON line per request line, using
// the real Node Buffer. Strings come back as hex of their utf16le bytes so
// lone surrogates survive the trip.
'use strict';

const readline = require('readline');

// goToJS reads the bytes of a Go string as the package documents: a WTF-8
// surrogate (ED A0..BF 80..BF) is that lone code unit, everything else goes
// through Node's own utf8 decoder. Every ED byte starts a character in the
// WHATWG decoder (it is not a continuation byte), so splitting there cannot
// change how the neighbouring bytes decode.
function goToJS(buf) {
  let out = '';
  let start = 0;
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i] === 0xed && buf[i + 1] >= 0xa0 && buf[i + 1] <= 0xbf &&
        (buf[i + 2] & 0xc0) === 0x80) {
      out += buf.toString('utf8', start, i);
      out += String.fromCharCode(0xd000 | (buf[i + 1] & 0x3f) << 6 | (buf[i + 2] & 0x3f));
      i += 2;
      start = i + 1;
    }
  }
  return out + buf.toString('utf8', start);
}

const units = (s) => Buffer.from(s, 'utf16le').toString('hex');

function answer(req) {
  switch (req.op) {
    case 'decode':
      return { u: units(Buffer.from(req.b, 'hex').toString(req.enc)) };
    case 'encode': {
      const s = req.s;
      const w = req.n.map((n) => {
        const buf = Buffer.alloc(n, 0xee);
        const c = buf.write(s, 0, n, req.enc);
        return { c, h: buf.toString('hex') };
      });
      return {
        u: units(goToJS(Buffer.from(req.g, 'hex'))),
        from: Buffer.from(s, req.enc).toString('hex'),
        len: Buffer.byteLength(s, req.enc),
        w,
      };
    }
    case 'version':
      return { v: process.version };
  }
  return { err: 'unknown op ' + req.op };
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
  let res;
  try {
    res = answer(JSON.parse(line));
  } catch (e) {
    res = { err: String(e && e.stack || e) };
  }
  out.push(JSON.stringify(res) + '\n');
  if (out.length >= 512) flush();
});
rl.on('close', flush);
